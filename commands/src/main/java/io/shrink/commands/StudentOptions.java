package io.shrink.commands;

import io.shrink.core.compress.layers.StudentInit;
import io.shrink.core.distill.DistillRequest;
import picocli.CommandLine.Option;

/** {@code distill}'s student: an existing registry model, or the teacher layers to copy and how narrow to make it. */
public final class StudentOptions {
    @Option(names = "--student", paramLabel = "ID", description = "Train this registry model as the student instead of creating one (a masked-LM model gets a new task head).")
    String student;

    @Option(names = "--layers", paramLabel = "SPEC", description = "Teacher layers to copy: a list like 0,2,4,7,9,11, every-other or first:K (default: 0,2,4,7,9,11 for a 12-layer teacher, else every-other).")
    String layers;

    @Option(names = "--drop-token-types", description = "DistilBERT style: no token-type embeddings (segment 0 folded into positions); not with a teacher whose head pools through BERT's pooler.")
    boolean dropTokenTypes;

    @Range(min = 0) @Option(names = "--hidden", defaultValue = "0", description = "Hidden size of a narrower student, at least 0; 0 = the teacher's.") int hidden;
    @Range(min = 0) @Option(names = "--heads", defaultValue = "0", description = "Attention heads of a narrower student, at least 0; 0 = hidden / head size.") int heads;
    @Range(min = 0) @Option(names = "--ffn", defaultValue = "0", description = "FFN width of a narrower student, at least 0; 0 = the teacher's ratio.") int ffn;

    @Option(names = "--init", defaultValue = "truncate", paramLabel = "HOW",
            description = "How a narrower student starts (${COMPLETION-CANDIDATES}): truncate, leading slices of teacher weights; random, drawn afresh (default: ${DEFAULT-VALUE}).")
    StudentInit.Init init;

    /** The student as the request takes it. */
    DistillRequest.Student toStudent() {
        return new DistillRequest.Student(student, layers, dropTokenTypes, hidden, heads, ffn, init);
    }
}
