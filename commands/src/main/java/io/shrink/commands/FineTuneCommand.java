package io.shrink.commands;

import io.shrink.core.finetune.FineTuneRequest;
import io.shrink.core.finetune.FineTuneService;
import io.shrink.core.results.RunResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.Locale;

/** {@code shrink fine-tune}: train a registry model on a task; the best checkpoint lands in the registry. */
@Command(name = "fine-tune", mixinStandardHelpOptions = true, sortOptions = false,
        header = "Fine-tune a model on a GLUE task, IMDb or SQuAD; the best checkpoint lands in the registry.",
        description = {"AdamW with weight decay, linear warm-up and decay, gradient clipping and accumulation,",
                "length-bucketed batches with dynamic padding. Evaluates every --eval-every steps (or each epoch)",
                "and keeps the best checkpoint (--keep last: the end of training, as Hugging Face's Trainer does by",
                "default, so no choice is made on the dev set). Checkpoints hold weights, optimizer state and data position:",
                "an interrupted run continues exactly with --run-dir DIR --resume.",
                "SQuAD: contexts split into windows of --max-length tokens overlapping by --doc-stride; answers",
                "decoded from the 20 best starts x 20 best ends of each window, at most 30 tokens, best over windows."},
        footerHeading = "%nExamples:%n",
        footer = {"  shrink fine-tune all-minilm-l6-v2 --task sst2 --glue-dir ../shared/data/glue --epochs 1",
                "  shrink fine-tune bert-base-uncased --task mrpc --lr 2e-5 --epochs 3 --run-dir runs/mrpc",
                "  shrink fine-tune all-minilm-l6-v2 --task squad --squad-dir ../shared/data/squad/v1.1 \\",
                "      --train-articles 0-39 --eval-articles 40-47",
                "  shrink fine-tune bert-base-uncased --task mrpc --lr 2e-5 --epochs 3 --run-dir runs/mrpc --resume"})
public final class FineTuneCommand extends ContextCommand {
    @Mixin ModelParameter model;

    @Option(names = "--task", required = true, paramLabel = "TASK", completionCandidates = TaskNames.class,
            description = "One of ${COMPLETION-CANDIDATES}.") String task;

    @Mixin DataDirOptions data;
    @Option(names = "--id", paramLabel = "ID", description = "Registry id of the result (default: MODEL-TASK).") String id;
    @Mixin TaskTrainingOptions training;
    @Mixin ForceOption force;
    @Mixin JsonOption json;

    @Override
    Integer execute() {
        training.checkResume(context);
        FineTuneRequest request = new FineTuneRequest(model.id, task, id, force.force,
                training.data(data.forTask(task)), training.features(), training.toOptions(), training.runOptions());
        RunResult r = new FineTuneService(context.models()).run(request, context.progress());
        Output out = context.output();
        if (!out.jsonOrPaused(r, json.json)) {
            out.println("fine-tuned " + r.models().get(0).id() + " on " + r.task() + " in "
                    + String.format(Locale.ROOT, "%.0f s", r.timings().wallSeconds()));
            Formats.metrics(r).forEach(out::println);
        }
        return 0;
    }
}
