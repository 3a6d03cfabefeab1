package io.shrink.commands;

import io.shrink.core.compress.CompressRequest;
import io.shrink.core.compress.CompressService;
import io.shrink.core.compress.Compressors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code shrink compress}: run a compression method from the registry of methods on a registry model. */
@Command(name = "compress", mixinStandardHelpOptions = true, sortOptions = false,
        header = "Compress a model with a method from the registry of compression methods; the result lands in the registry.",
        description = {"Each method reads its settings from --set NAME=VALUE pairs; the new model's lineage records",
                "the method and its settings as resolved for the model.",
                "layers: keep some layers (layers=0,2,4,7,9,11|every-other|first:K, dropTokenTypes=true|false)."},
        footerHeading = "%nExamples:%n",
        footer = {"  shrink compress bert-base-uncased --method layers --set layers=0,2,4,7,9,11 --id bert-6l",
                "  shrink compress bert-base-uncased --method layers --set layers=first:4 --set dropTokenTypes=true --id bert-4l"})
public final class CompressCommand extends ContextCommand {
    @Mixin ModelParameter model;

    @Option(names = "--method", required = true, paramLabel = "METHOD", completionCandidates = MethodNames.class,
            description = "Compression method: ${COMPLETION-CANDIDATES}.") String method;

    @Option(names = "--set", paramLabel = "NAME=VALUE", description = "A setting of the method (repeatable).")
    List<String> settings = new ArrayList<>();

    @Option(names = "--id", required = true, paramLabel = "ID", description = "Registry id of the new model.") String id;
    @Mixin SeedOption seed;
    @Mixin ForceOption force;
    @Mixin JsonOption json;

    /** The registry's method names, for help and completion. */
    static final class MethodNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Compressors.names().iterator();
        }
    }

    @Override
    Integer execute() {
        Map<String, Object> values = new LinkedHashMap<>();
        for (String s : settings) {
            int eq = s.indexOf('=');
            if (eq <= 0) {
                throw new ParameterException(context.spec().commandLine(), "--set takes NAME=VALUE, not '" + s + "'");
            }
            values.put(s.substring(0, eq).trim(), s.substring(eq + 1).trim());
        }
        CompressService.Result r = new CompressService(context.models())
                .run(new CompressRequest(model.id, method, values, id, force.force, seed.seed, "compress"));
        Output out = context.output();
        if (json.json) {
            Map<String, Object> both = new LinkedHashMap<>();
            both.put("model", r.entry());
            both.put("report", r.report());
            out.json(both);
        } else {
            out.println(String.format(Locale.ROOT, "compressed %s into %s with %s: %s -> %s parameters (%.1f%%)", model.id,
                    r.entry().id(), r.report().method(), Formats.count(r.report().parametersBefore()),
                    Formats.count(r.report().parametersAfter()), 100 * r.report().parameterRatio()));
            r.report().notes().forEach(n -> out.println("  " + n));
        }
        return 0;
    }
}
