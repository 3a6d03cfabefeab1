package io.shrink.commands;

import io.shrink.core.compare.CompareRequest;
import io.shrink.core.compare.CompareService;
import io.shrink.core.results.RunResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code shrink compare}: is run A really better than run B? A paired bootstrap over their per-example predictions. */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
        defaultValueProvider = SeedOption.Zero.class,
        header = "Compare two runs on the same examples with a paired bootstrap of every metric.",
        description = {"Reads predictions.jsonl of two evaluate, fine-tune or distill runs of the same task (a GLUE task,",
                "imdb or squad) and, for each of the task's metrics, reports A, B, the difference A - B with its 95%%",
                "interval from paired resamples (both runs scored on the same draw of examples), and the share of",
                "resamples in which A is better (1 minus it is the paired bootstrap p-value of \"A is better\"). Two",
                "runs' separate intervals overlap far more often than the runs really differ; this answers the",
                "question directly. Writes result.json to the run directory.",
                "With several runs per side (e.g. one per seed), RUN... --vs RUN... compares the groups' mean",
                "metric, with an interval from a two-level bootstrap that resamples each group's runs as well as the",
                "examples, so it covers the spread between seeds; the examples-only interval is shown beside it."},
        footerHeading = "%nExamples:%n",
        footer = {"  shrink compare results/runs/distil6-sst2 results/runs/bert6-sst2-nokd",
                "  shrink compare results/runs/distil6-mrpc results/runs/bert6-mrpc-nokd --bootstrap 10000 --json",
                "  shrink compare results/runs/distil6-s42 results/runs/distil6-s43 \\",
                "      --vs results/runs/bert6-nokd-s42 results/runs/bert6-nokd-s43 --bootstrap 10000"})
public final class CompareCommand extends ContextCommand {

    @Parameters(arity = "1..*", paramLabel = "RUN", description = {"Run directory (or its result.json): run A then run B;",
            "with --vs, the runs of group A."}) List<Path> runs;

    @Option(names = "--vs", arity = "1..*", paramLabel = "RUN",
            description = "The runs of group B (e.g. the same model trained with other seeds).") List<Path> vs;

    @Mixin BootstrapOption bootstrap;
    @Mixin SeedOption seed;
    @Mixin RunOutputOptions output;

    @Override
    Integer execute() {
        List<Path> a = runs;
        List<Path> b = vs;
        if (b == null) {
            if (runs.size() != 2) {
                throw context.usage("give two runs (A B), or the runs of group A, --vs "
                        + "and the runs of group B; got " + runs.size() + " run" + (runs.size() == 1 ? "" : "s"));
            }
            a = List.of(runs.get(0));
            b = List.of(runs.get(1));
        }
        RunResult r = new CompareService().run(new CompareRequest(a, b, bootstrap.bootstrap, seed.seed, output.dir()));
        Output o = context.output();
        if (output.json()) {
            o.json(r);
            return 0;
        }
        Map<String, Object> details = r.details();
        boolean groups = details.get("a") instanceof List<?> || details.get("b") instanceof List<?>;
        o.println("A: " + describe(details.get("a")));
        o.println("B: " + describe(details.get("b")));
        o.println(String.format(Locale.ROOT, "%s, %s examples, %s %s resamples (seed %d)", r.task(),
                details.get("examples"), details.get("resamples"), groups ? "two-level (runs and examples)" : "paired",
                seed.seed));
        o.println(String.format(Locale.ROOT, "  %-22s %9s %9s %9s  %-22s %s", "metric", groups ? "mean A" : "A",
                groups ? "mean B" : "B", "A - B", "95% interval", "A better in"));
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> rows = (Map<String, Map<String, Object>>) details.get("comparisons");
        rows.forEach((key, row) -> {
            o.println(String.format(Locale.ROOT, "  %-22s %9.4f %9.4f %+9.4f  %-22s %s", key,
                    (Double) row.get("a"), (Double) row.get("b"), (Double) row.get("difference"),
                    interval(row.get("ciLow"), row.get("ciHigh")), share(row.get("aBetterShare"))));
            if (groups) {
                o.println(String.format(Locale.ROOT, "  %-22s %s; %s", "", runs("A", row.get("aRuns"), row.get("aStdev")),
                        runs("B", row.get("bRuns"), row.get("bStdev"))));
                o.println(String.format(Locale.ROOT, "  %-22s examples only: %s, %s", "",
                        interval(row.get("examplesOnlyCiLow"), row.get("examplesOnlyCiHigh")),
                        share(row.get("examplesOnlyABetterShare"))));
            }
        });
        o.println("run " + r.runId());
        return 0;
    }

    private static String interval(Object low, Object high) {
        return low == null ? "undefined" : String.format(Locale.ROOT, "[%+.4f, %+.4f]", (Double) low, (Double) high);
    }

    private static String share(Object share) {
        return share == null ? "-" : String.format(Locale.ROOT, "%.1f%% of resamples", 100 * (Double) share);
    }

    private static String runs(String side, Object values, Object stdev) {
        StringBuilder sb = new StringBuilder(side).append(" runs");
        for (Object v : (List<?>) values) {
            sb.append(String.format(Locale.ROOT, " %.4f", (Double) v));
        }
        return sb.append(stdev == null ? "" : String.format(Locale.ROOT, " (sd %.4f)", (Double) stdev)).toString();
    }

    private static String describe(Object run) {
        if (run instanceof List<?> group) {
            List<String> each = new ArrayList<>();
            group.forEach(x -> each.add(describe(x)));
            return group.size() + (group.size() == 1 ? " run: " : " runs: ") + String.join(", ", each);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) run;
        return (m.get("model") == null ? "" : m.get("model") + " ") + "(" + m.get("run") + ")";
    }
}
