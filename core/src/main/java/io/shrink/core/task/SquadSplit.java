package io.shrink.core.task;

import io.shrink.core.ShrinkException;
import io.shrink.core.data.DataDirs;
import io.shrink.core.data.SquadDataset;
import io.shrink.core.data.SquadReader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The SQuAD v1.1 questions to train and evaluate on: {@code train-v1.1.json} and {@code dev-v1.1.json}, or,
 * where only the dev set exists, two disjoint article ranges of it (e.g. 0-39 to train, 40-47 to evaluate;
 * a dev split, not the official evaluation).
 *
 * @param train training questions (empty when not asked for)
 * @param eval  evaluation questions
 * @param files files read
 */
public record SquadSplit(List<SquadDataset.Question> train, List<SquadDataset.Question> eval, List<Path> files) {
    /** The dev file name. */
    public static final String DEV = "dev-v1.1.json";
    /** The train file name. */
    public static final String TRAIN = "train-v1.1.json";

    /** Reads the split; article ranges are {@code FROM-TO} inclusive. */
    public static SquadSplit load(Path dirOption, String trainArticles, String evalArticles, boolean withTrain) {
        Path dir = DataDirs.resolve(DataDirs.Kind.SQUAD, dirOption);
        Path dev = dir.resolve(DEV);
        List<Path> files = new ArrayList<>();
        files.add(dev);
        SquadDataset evalSet = evalArticles == null ? SquadReader.read(dev) : read(dev, evalArticles);
        List<SquadDataset.Question> train = List.of();
        if (withTrain) {
            if (trainArticles != null) {
                train = read(dev, trainArticles).questions();
                if (evalArticles == null) {
                    throw ShrinkException.usage("--train-articles takes dev articles: give --eval-articles too, disjoint from them");
                }
                int[] a = range(trainArticles);
                int[] b = range(evalArticles);
                if (a[0] <= b[1] && b[0] <= a[1]) {
                    throw ShrinkException.usage("--train-articles " + trainArticles + " and --eval-articles " + evalArticles + " overlap");
                }
            } else {
                Path trainFile = dir.resolve(TRAIN);
                if (!Files.isRegularFile(trainFile)) {
                    throw ShrinkException.corrupt(trainFile + ": no SQuAD training file; train on dev articles with "
                            + "--train-articles 0-39 --eval-articles 40-47");
                }
                files.add(0, trainFile);
                train = SquadReader.read(trainFile).questions();
            }
        }
        return new SquadSplit(train, evalSet.questions(), files);
    }

    private static SquadDataset read(Path file, String articles) {
        int[] r = range(articles);
        return SquadReader.read(file, r[0], r[1] + 1);
    }

    static int[] range(String spec) {
        String[] parts = spec.split("-");
        try {
            int from = Integer.parseInt(parts[0].trim());
            int to = parts.length > 1 ? Integer.parseInt(parts[1].trim()) : from;
            if (parts.length > 2 || from < 0 || to < from) {
                throw new NumberFormatException();
            }
            return new int[] {from, to};
        } catch (NumberFormatException e) {
            throw ShrinkException.usage("invalid article range '" + spec + "': expected FROM-TO, e.g. 40-47");
        }
    }
}
