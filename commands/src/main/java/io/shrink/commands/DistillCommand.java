package io.shrink.commands;

import io.shrink.core.distill.DistillRequest;
import io.shrink.core.distill.DistillService;
import io.shrink.core.results.RunResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Locale;

/** {@code shrink distill}: knowledge distillation of a registry teacher into a smaller student. */
@Command(name = "distill", mixinStandardHelpOptions = true, sortOptions = false,
        defaultValueProvider = TrainingOptions.DistillLearningRate.class,
        header = "Distil a teacher into a smaller student (DistilBERT's triple loss); the student lands in the registry.",
        description = {"General distillation (--corpus, no --task): masked-LM distillation on raw text through the",
                "teacher's MLM head, with the released DistilBERT losses: soft-target CE 5.0 at T=2 (x T^2, over every",
                "real token), masked-LM 2.0 (15%% of tokens: 80%% [MASK], 10%% random, 10%% unchanged), cosine 1.0 on",
                "the last hidden states. Task distillation (--task): from a teacher fine-tuned on the task, soft",
                "targets 0.5 at T=2 plus gold labels 0.5 (SQuAD: the start and end distributions of each window);",
                "teacher outputs are cached on disk (keyed by teacher hash, data hash and T). Any weight can be",
                "changed or set to 0; the weights in use are printed at start.",
                "",
                "The student copies the embeddings, head and teacher layers --layers (default 0,2,4,7,9,11 for a",
                "12-layer teacher, as the released DistilBERT; also every-other or first:K). --hidden makes it",
                "narrower (TinyBERT style) with weights truncated from the teacher or random (--init); hidden-state",
                "losses then go through a learned projection. Hidden-state MSE and attention KL compare student",
                "layer i with the teacher layer it was copied from (the cosine loss too with --cos-layers mapped).",
                "--student trains an existing model instead, e.g. layers of the pretrained model (Patient-KD's",
                "setting, made with 'shrink models derive'); a student with a masked-LM head gets a new task",
                "head like the teacher's, drawn from --seed.",
                "Checkpoints resume exactly (--run-dir DIR --resume)."},
        footerHeading = "%nExamples:%n",
        footer = {"  shrink distill bert-base-sst2 --task sst2 --glue-dir ../shared/data/glue --id distil-sst2",
                "  shrink distill bert-base-sst2 --task sst2 --alpha-ce 0 --alpha-hard 1 --id no-kd-sst2   # no distillation",
                "  shrink distill bert-base-uncased --corpus ../shared/data/imdb/train.jsonl.gz --max-documents 5000 \\",
                "      --max-steps 2000 --run-dir runs/general",
                "  shrink distill bert-base-uncased --corpus docs/ --hidden 384 --init truncate --alpha-mse 1 --alpha-att 1",
                "  shrink distill bert-base-mrpc --task mrpc --layers every-other --epochs 3",
                "  shrink models derive bert-base-uncased --id bert6 && shrink distill bert-base-sst2 --task sst2 --student bert6",
                "  shrink distill minilm-squad --task squad --train-articles 0-39 --eval-articles 40-47 --layers 0,2,4"})
public final class DistillCommand extends ContextCommand {
    @Parameters(paramLabel = "TEACHER", description = "Registry id of the teacher.") String teacher;

    @Option(names = "--task", paramLabel = "TASK", completionCandidates = TaskNames.WithGeneral.class,
            description = "Task distillation on one of ${COMPLETION-CANDIDATES} (default: general distillation on --corpus).") String task;

    @Option(names = "--corpus", paramLabel = "PATH",
            description = "General distillation text: a file with one document per line, JSON Lines with a 'text' field (.jsonl[.gz]), or a folder of .txt files (an aclImdb folder: its train/{neg,pos,unsup} reviews).")
    Path corpus;

    @Range(min = 0)
    @Option(names = "--max-documents", defaultValue = "0", description = "Read at most N corpus documents, at least 0; 0 = all.") int maxDocuments;
    @Range(min = 0)
    @Option(names = "--eval-chunks", defaultValue = "0", description = "Corpus chunks held out for evaluation, at least 0; 0 = min(256, 5%%).") int evalChunks;
    @Mixin DataDirOptions data;
    @Option(names = "--id", paramLabel = "ID", description = "Registry id of the student (default: TEACHER-student).") String id;

    @Mixin StudentOptions student;
    @Mixin LossWeightOptions loss;
    @Mixin TaskTrainingOptions training;
    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Teacher-output cache (default: <registry>/cache/teacher).") Path cacheDir;
    @Mixin ForceOption force;
    @Mixin JsonOption json;

    @Override
    Integer execute() {
        training.checkResume(context);
        boolean general = task == null || task.equalsIgnoreCase("general");
        if (general && corpus == null) {
            throw context.usage("general distillation needs --corpus (or give --task for task distillation)");
        }
        if (!general && corpus != null) {
            throw context.usage("--corpus is for general distillation; drop it or --task");
        }
        DistillRequest request = new DistillRequest(teacher, student.toStudent(), general ? null : task, new DistillRequest.Corpus(corpus, maxDocuments, evalChunks),
                training.data(general ? null : data.forTask(task)), training.features(),
                loss.resolve(general), training.toOptions(), training.runOptions(), id, force.force, cacheDir);
        RunResult r = new DistillService(context.models()).run(request, context.progress());
        Output out = context.output();
        if (!out.jsonOrPaused(r, json.json)) {
            out.println("distilled " + teacher + " into " + r.models().get(0).id() + " ("
                    + String.format(Locale.ROOT, "%.1fM", r.models().get(0).parameters() / 1e6) + " parameters) on " + r.task()
                    + " in " + String.format(Locale.ROOT, "%.0f s", r.timings().wallSeconds()));
            Formats.metrics(r).forEach(out::println);
            Number retention = r.detailNumber("retention");
            if (retention != null) {
                out.println(String.format(Locale.ROOT, "  %-28s %.4f (teacher %s: %.4f)", "retention of teacher score",
                        retention.doubleValue(), teacher, r.detailNumber("teacherEvaluation", "score").doubleValue()));
            }
        }
        return 0;
    }
}
