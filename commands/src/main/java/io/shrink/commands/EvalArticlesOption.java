package io.shrink.commands;

import picocli.CommandLine.Option;

/** {@code --eval-articles FROM-TO}: the SQuAD dev-set articles to evaluate on ({@code evaluate}, and training runs). */
public final class EvalArticlesOption {
    @Option(names = "--eval-articles", paramLabel = "FROM-TO", description = "SQuAD: evaluate on these dev-set articles, e.g. 40-47 (default: all).")
    String articles;
}
