package io.shrink.core.task;

/** The shape of a task: what its examples are and what a model predicts for them. */
public enum TaskKind {
    /** One text, one of a fixed set of labels (SST-2, CoLA). */
    SINGLE_CLASSIFICATION,
    /** Two texts, one of a fixed set of labels (MRPC, RTE, MNLI). */
    PAIR_CLASSIFICATION,
    /** Two texts, a real-valued score (STS-B). */
    REGRESSION,
    /** A question and a context; the answer is a span of the context (SQuAD). */
    EXTRACTIVE_QA,
    /** One long document, one of a fixed set of labels (IMDb reviews). */
    LONG_DOCUMENT
}
