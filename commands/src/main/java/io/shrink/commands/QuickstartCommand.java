package io.shrink.commands;

import io.shrink.core.infer.Prediction;
import io.shrink.core.models.Quickstart;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code shrink quickstart}: the main job on an embedded default, with nothing but Maven Central. */
@Command(name = "quickstart", mixinStandardHelpOptions = true,
        header = "Run shrink's main job on an embedded default (BERT-base-uncased from Maven Central).",
        description = {"Run shrink's main job on an embedded default: import Google's BERT-base-uncased from",
                "Maven Central into the registry (once; it is fetched with mvn when not in the local Maven",
                "repository) and show what it predicts for a few fixed masked sentences."})
public final class QuickstartCommand extends ContextCommand {
    @Mixin JsonOption json;

    @Override
    Integer execute() {
        Output out = context.output();
        Quickstart.Result r = context.models().quickstart(out::progress);
        if (json.json) {
            out.json(r);
            return 0;
        }
        out.println("model " + r.model().id() + ": " + Formats.count(r.model().parameters()) + " parameters, "
                + r.model().config().numLayers() + " layers");
        for (Prediction p : r.predictions()) {
            out.println(p.input());
            PredictCommand.print(out, p);
        }
        out.println(String.format(java.util.Locale.ROOT, "top-1 correct on %d of %d probes", r.correct(), r.predictions().size()));
        return 0;
    }
}
