package io.shrink.commands;

import io.shrink.core.infer.Prediction;
import io.shrink.core.infer.Predictor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.Locale;

/** {@code shrink predict}: run a model on text and print what it computes. */
@Command(name = "predict", mixinStandardHelpOptions = true,
        header = "Run a model on text and print what it computes.",
        description = {"What is printed depends on the model's head:",
                "  masked-LM       top-k fillers for each [MASK]",
                "  classification  every label with its probability",
                "  regression      the predicted score",
                "  qa              the best answer span ('question " + Predictor.PAIR_SEPARATOR + " context')",
                "  bare encoder    the mean-pooled, normalised embedding (first values)",
                "Sentence pairs are written 'first " + Predictor.PAIR_SEPARATOR + " second'."},
        footerHeading = "%nExamples:%n",
        footer = {"  shrink predict bert-base-uncased 'The capital of France is [MASK].'",
                "  shrink predict bert-base-uncased --top-k 3 --json 'I love [MASK] music.'"})
public final class PredictCommand extends ContextCommand {
    @Mixin ModelParameter model;
    @Parameters(index = "1..*", arity = "1..*", paramLabel = "TEXT", description = "Input texts.") List<String> texts;

    @Range(min = 1, max = 1000)
    @Option(names = {"-k", "--top-k"}, paramLabel = "K", defaultValue = "5", description = "Candidates per [MASK], between 1 and 1000 (default: ${DEFAULT-VALUE}).")
    int topK;

    @Mixin JsonOption json;

    @Override
    Integer execute() {
        List<Prediction> predictions = context.models().predict(model.id, texts, topK);
        Output out = context.output();
        if (json.json) {
            out.json(predictions);
            return 0;
        }
        for (Prediction p : predictions) {
            out.println(p.input());
            print(out, p);
        }
        return 0;
    }

    static void print(Output out, Prediction p) {
        switch (p.task()) {
            case "fill-mask" -> {
                for (int i = 0; i < p.masks().size(); i++) {
                    StringBuilder sb = new StringBuilder("  [MASK]" + (p.masks().size() > 1 ? "#" + (i + 1) : "") + ":");
                    for (Prediction.Candidate c : p.masks().get(i)) {
                        sb.append(String.format(Locale.ROOT, "  %s %.3f", c.token(), c.score()));
                    }
                    out.println(sb.toString());
                }
            }
            case "classification" -> p.labels().forEach(c -> out.println(String.format(Locale.ROOT, "  %-20s %.4f", c.token(), c.score())));
            case "regression" -> out.println(String.format(Locale.ROOT, "  score %.4f", p.value()));
            case "qa" -> out.println(String.format(Locale.ROOT, "  answer '%s' [%d, %d) score %.3f", p.answer().text(),
                    p.answer().start(), p.answer().end(), p.answer().score()));
            default -> out.println(String.format(Locale.ROOT, "  embedding (%d dims): %s ...", p.embedding().dimensions(),
                    p.embedding().head().stream().map(v -> String.format(Locale.ROOT, "%.4f", v)).toList()));
        }
    }
}
