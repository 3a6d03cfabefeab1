package io.shrink.commands;

import io.shrink.core.compress.prune.PruneRequest;
import io.shrink.core.compress.prune.PruneService;
import io.shrink.core.task.DataOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Iterator;

/** {@code shrink prune}: remove attention heads and FFN neurons by importance; the smaller model lands in the registry. */
@Command(name = "prune", mixinStandardHelpOptions = true, sortOptions = false,
        header = "Remove attention heads and FFN neurons (structured pruning); the smaller model lands in the registry.",
        description = {"Scores every head and FFN neuron, then removes the least important --heads and --ffn shares of",
                "them over all layers, physically (smaller query/key/value/output and FFN matrices), so the model",
                "is smaller and faster. importance: |dL/d gate| of each head's and neuron's output, summed over",
                "--batches training batches of --task and normalised per layer (Michel et al. 2019); magnitude:",
                "the norm of its output weights, no data. No training step is taken: recover accuracy by",
                "distilling from the unpruned model (shrink distill PARENT --task T --student PRUNED).",
                "Writes a prune result: the kept heads per layer, the scores, parameters and FLOPs before and after."},
        footerHeading = "%nExamples:%n",
        footer = {"  shrink prune bert-base-sst2 --task sst2 --heads 0.5 --id bert-sst2-h50",
                "  shrink prune bert-base-sst2 --task sst2 --ffn 0.5 --id bert-sst2-f50",
                "  shrink distill bert-base-sst2 --task sst2 --student bert-sst2-h50 --id bert-sst2-h50-kd   # recovery",
                "  shrink prune bert-base-uncased --criterion magnitude --heads 0.25"})
public final class PruneCommand extends ContextCommand {
    @Mixin ModelParameter model;

    @Option(names = "--task", paramLabel = "TASK", completionCandidates = TaskNames.class,
            description = "Task whose training loss scores heads and neurons (needed by --criterion importance): ${COMPLETION-CANDIDATES}.")
    String task;

    @Range(min = 0, max = 1, maxExclusive = true)
    @Option(names = "--heads", paramLabel = "SHARE", defaultValue = "0",
            description = "Share of all attention heads to remove, in [0, 1) (default: ${DEFAULT-VALUE}).") double heads;

    @Range(min = 0, max = 1, maxExclusive = true)
    @Option(names = "--ffn", paramLabel = "SHARE", defaultValue = "0",
            description = "Share of all FFN neurons to remove, in [0, 1) (default: ${DEFAULT-VALUE}).") double ffn;

    @Option(names = "--criterion", paramLabel = "C", defaultValue = "importance", completionCandidates = Criteria.class,
            description = "How heads and neurons are scored: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).") String criterion;

    @Range(min = 1)
    @Option(names = "--batches", paramLabel = "N", defaultValue = "32",
            description = "Training batches the importance is summed over, at least 1 (default: ${DEFAULT-VALUE}).") int batches;

    @Range(min = 1)
    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "32",
            description = "Examples per batch, at least 1 (default: ${DEFAULT-VALUE}).") int batchSize;

    @Option(names = "--id", paramLabel = "ID", description = "Registry id of the pruned model (default: MODEL-pruned).") String id;

    @Mixin DataDirOptions data;
    @Mixin MaxLengthOption maxLength;
    @Mixin SeedOption seed;
    @Mixin ForceOption force;
    @Mixin RunOutputOptions output;

    /** The scoring criteria, for help and completion. */
    static final class Criteria implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return PruneService.CRITERIA.iterator();
        }
    }

    @Override
    Integer execute() {
        if (heads == 0 && ffn == 0) {
            throw context.usage("nothing to prune: give --heads and/or --ffn a share above 0");
        }
        PruneRequest request = new PruneRequest(model.id, task,
                new DataOptions(task == null ? null : data.forTask(task), 0, 0, null, null), maxLength.maxLength, heads, ffn,
                criterion, batches, batchSize, seed.seed, id, force.force);
        PruneService.Outcome o = new PruneService(context.models()).run(request, output.dir(), context.output()::progress);
        Output print = context.output();
        if (output.json()) {
            print.json(o.result());
            return 0;
        }
        print.println(PruneService.summary(o));
        print.println("  heads per layer " + o.result().details().get("layerHeads") + ", FFN widths "
                + o.result().details().get("layerFfn"));
        print.println("result: " + o.file());
        return 0;
    }
}
