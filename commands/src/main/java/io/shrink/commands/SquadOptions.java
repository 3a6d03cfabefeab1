package io.shrink.commands;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** SQuAD windowing and dev-split options shared by {@code fine-tune} and {@code distill}. */
public final class SquadOptions {
    @Range(min = 0)
    @Option(names = "--doc-stride", defaultValue = "128", description = "SQuAD: tokens shared by consecutive context windows, as in Hugging Face's run_qa.py, at least 0 (default: ${DEFAULT-VALUE}).")
    int docStride;

    @Range(min = 1)
    @Option(names = "--max-query-length", defaultValue = "64", description = "SQuAD: longest question in tokens, at least 1 (default: ${DEFAULT-VALUE}).")
    int maxQueryLength;

    @Option(names = "--train-articles", paramLabel = "FROM-TO", description = "SQuAD: train on these dev-set articles (no train file here), e.g. 0-39.")
    String trainArticles;

    @Mixin EvalArticlesOption evalArticles;
}
