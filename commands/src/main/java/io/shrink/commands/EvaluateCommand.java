package io.shrink.commands;

import io.shrink.core.evaluate.EvaluateRequest;
import io.shrink.core.evaluate.EvaluateService;
import io.shrink.core.results.RunResult;
import io.shrink.core.task.DataOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code shrink evaluate}: official metrics with bootstrap intervals, per-example predictions, a result file. */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
        defaultValueProvider = SeedOption.Zero.class,
        header = "Score a fine-tuned model with the task's official metrics and 95%% bootstrap intervals.",
        description = {"Metrics as GLUE defines them (CoLA MCC; STS-B Pearson/Spearman; MRPC and QQP F1 and accuracy;",
                "MNLI matched/mismatched accuracy; accuracy elsewhere), IMDb accuracy. --task glue evaluates every GLUE",
                "task in the directory, using MODEL's fine-tuned children, and reports the GLUE macro score.",
                "Writes result.json and predictions.jsonl (one line per example) to the run directory."},
        footerHeading = "%nExamples:%n",
        footer = {"  shrink evaluate all-minilm-l6-v2-sst2 --task sst2 --glue-dir ../shared/data/glue",
                "  shrink evaluate bert-base-uncased --task glue --glue-dir ../shared/data/glue",
                "  shrink evaluate my-sst2 --task sst2 --precision bf16   # then shrink compare against the fp32 run"})
public final class EvaluateCommand extends ContextCommand {
    @Mixin ModelParameter model;

    @Option(names = "--task", required = true, paramLabel = "TASK", completionCandidates = TaskNames.WithSuites.class,
            description = "One of ${COMPLETION-CANDIDATES} (glue: every GLUE task in --glue-dir, with the macro score).") String task;

    @Mixin DataDirOptions data;

    @Range(min = 0)
    @Option(names = "--max-examples", defaultValue = "0", description = "Evaluate on a seeded sample of at most N examples per set, at least 0; 0 = all.")
    int maxExamples;

    @Mixin MaxLengthOption maxLength;
    @Mixin BootstrapOption bootstrap;
    @Mixin SeedOption seed;
    @Mixin PrecisionOption precision;
    @Mixin EvalArticlesOption evalArticles;
    @Mixin RunOutputOptions output;

    @Override
    Integer execute() {
        EvaluateRequest request = new EvaluateRequest(model.id, task,
                new DataOptions(data.forTask(task), 0, maxExamples, null, evalArticles.articles), maxLength.maxLength,
                bootstrap.bootstrap, seed.seed, precision.precision, output.dir());
        RunResult r = new EvaluateService(context.models()).run(request, context.progress());
        Output o = context.output();
        if (output.json()) {
            o.json(r);
        } else {
            Formats.metrics(r).forEach(o::println);
        }
        return 0;
    }
}
