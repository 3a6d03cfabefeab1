package io.shrink.commands;

import io.shrink.core.compare.CompareRequest;
import io.shrink.core.compare.CompareService;
import io.shrink.core.results.RunResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code shrink compare}: is run A really better than run B? A paired bootstrap over their per-example predictions. */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
        header = "Compare two runs on the same examples with a paired bootstrap of every metric.",
        description = {"Reads predictions.jsonl of two evaluate, fine-tune or distill runs of the same task (a GLUE task,",
                "imdb or squad) and, for each of the task's metrics, reports A, B, the difference A - B with its 95%%",
                "interval from paired resamples (both runs scored on the same draw of examples), and the share of",
                "resamples in which A is better (1 minus it is the paired bootstrap p-value of \"A is better\"). Two",
                "runs' separate intervals overlap far more often than the runs really differ; this answers the",
                "question directly. Writes result.json to the run directory."},
        footerHeading = "%nExamples:%n",
        footer = {"  shrink compare results/runs/distil6-sst2 results/runs/bert6-sst2-nokd",
                "  shrink compare results/runs/distil6-mrpc results/runs/bert6-mrpc-nokd --bootstrap 10000 --json"})
public final class CompareCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN_A", description = "Run directory (or its result.json) of run A.")
    Path a;

    @Parameters(index = "1", paramLabel = "RUN_B", description = "Run directory (or its result.json) of run B.")
    Path b;

    @Option(names = "--bootstrap", defaultValue = "1000", description = "Paired resamples (default: ${DEFAULT-VALUE}).")
    int bootstrap;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the resamples (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: results/runs/<run-id>).")
    Path out;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() {
        RunResult r = new CompareService().run(new CompareRequest(a, b, bootstrap, seed, out));
        Output o = ModelsCommand.output(spec);
        if (json) {
            o.json(r);
            return 0;
        }
        Map<String, Object> details = r.details();
        o.println("A: " + describe(details.get("a")));
        o.println("B: " + describe(details.get("b")));
        o.println(String.format(Locale.ROOT, "%s, %s examples, %s paired resamples (seed %d)", r.task(),
                details.get("examples"), details.get("resamples"), seed));
        o.println(String.format(Locale.ROOT, "  %-22s %9s %9s %9s  %-22s %s", "metric", "A", "B", "A - B", "95% interval",
                "A better in"));
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> rows = (Map<String, Map<String, Object>>) details.get("comparisons");
        rows.forEach((key, row) -> o.println(String.format(Locale.ROOT, "  %-22s %9.4f %9.4f %+9.4f  %-22s %s", key,
                (Double) row.get("a"), (Double) row.get("b"), (Double) row.get("difference"),
                row.get("ciLow") == null ? "undefined" : String.format(Locale.ROOT, "[%+.4f, %+.4f]",
                        (Double) row.get("ciLow"), (Double) row.get("ciHigh")),
                row.get("aBetterShare") == null ? "-" : String.format(Locale.ROOT, "%.1f%% of resamples",
                        100 * (Double) row.get("aBetterShare")))));
        o.println("run " + r.runId());
        return 0;
    }

    private static String describe(Object run) {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) run;
        return (m.get("model") == null ? "" : m.get("model") + " ") + "(" + m.get("run") + ")";
    }
}
