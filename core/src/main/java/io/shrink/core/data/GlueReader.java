package io.shrink.core.data;

import io.shrink.core.ShrinkException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads GLUE TSV files in the layout of the official distribution ({@code <dir>/<TASK>/<split>.tsv}): split on
 * TAB only, with no quote processing (quotes are literal text, like Python's {@code csv.QUOTE_NONE}), columns
 * found by header name where the file has a header. Every row must have exactly as many columns as the header;
 * any malformed row, bad label, empty file or invalid UTF-8 is a {@link ShrinkException#corrupt} naming the file
 * and line (empty lines are allowed only at the end). A split whose file has no label column (the official test files) loads unlabelled.
 */
public final class GlueReader {
    private GlueReader() {
    }

    /** Reads split {@code split} of {@code task} from the GLUE root {@code glueDir}. */
    public static List<Example> read(Path glueDir, GlueTask task, String split) {
        GlueTask.Split s = task.split(split);
        Path taskDir = glueDir.resolve(task.dirName());
        if (!Files.isDirectory(taskDir)) {
            throw ShrinkException.corrupt(taskDir + ": no " + task.dirName() + " directory under the GLUE directory "
                    + glueDir + "; expected <dir>/" + task.dirName() + "/" + s.fileName() + " (see glue-data/README.md)");
        }
        return read(taskDir.resolve(s.fileName()), task, s.header());
    }

    /** Reads one TSV file of {@code task}; {@code header} says whether its first line names the columns. */
    public static List<Example> read(Path file, GlueTask task, boolean header) {
        try (TextLines lines = TextLines.open(file)) {
            Columns columns = header ? Columns.fromHeader(lines, task) : Columns.headerless(task, file);
            List<Example> out = new ArrayList<>();
            String line;
            int blank = 0;
            while ((line = lines.next()) != null) {
                if (line.isEmpty()) {
                    blank = blank == 0 ? lines.lineNumber() : blank;
                    continue;
                }
                if (blank > 0) {
                    throw ShrinkException.corrupt(file + ":" + blank + ": empty line inside the file");
                }
                out.add(parse(lines, line, columns, task, out.size()));
            }
            if (out.isEmpty()) {
                throw ShrinkException.corrupt(file + ":" + Math.max(1, lines.lineNumber()) + ": "
                        + (header && lines.lineNumber() == 1 ? "a header but no rows" : "empty file"));
            }
            return out;
        }
    }

    private static Example parse(TextLines lines, String line, Columns c, GlueTask task, int index) {
        String[] f = line.split("\t", -1);
        if (f.length != c.count) {
            throw lines.error("expected " + c.count + " tab-separated columns, found " + f.length);
        }
        String id = c.id >= 0 ? f[c.id] : Integer.toString(index);
        String textA = f[c.textA];
        String textB = c.textB >= 0 ? f[c.textB] : null;
        int label = Example.UNLABELLED;
        double target = Double.NaN;
        if (c.label >= 0) {
            String raw = f[c.label];
            if (task.regression()) {
                target = parseScore(lines, raw);
            } else {
                label = task.labels().indexOf(raw);
                if (label < 0) {
                    throw lines.error("bad label '" + raw + "' for " + task.name() + "; expected one of "
                            + String.join(", ", task.labels()));
                }
            }
        }
        return new Example(id, index, textA, textB, label, target, lines.file(), lines.lineNumber());
    }

    private static double parseScore(TextLines lines, String raw) {
        double v;
        try {
            v = Double.parseDouble(raw);
        } catch (NumberFormatException e) {
            throw lines.error("score '" + raw + "' is not a number");
        }
        if (!(v >= 0 && v <= 5)) {
            throw lines.error("score " + raw + " is outside [0, 5]");
        }
        return v;
    }

    /** Column positions in one file; -1 where absent. */
    private record Columns(int count, int textA, int textB, int label, int id) {
        static Columns headerless(GlueTask task, Path file) {
            GlueTask.Layout l = task.layout();
            if (l.headerlessColumns() == 0) {
                throw ShrinkException.usage(file + ": GLUE task " + task.name() + " has no headerless layout");
            }
            return new Columns(l.headerlessColumns(), l.headerlessTextA(), -1, l.headerlessLabel(), -1);
        }

        static Columns fromHeader(TextLines lines, GlueTask task) {
            String header = lines.next();
            if (header == null) {
                throw ShrinkException.corrupt(lines.file() + ":1: empty file");
            }
            String[] names = header.split("\t", -1);
            Map<String, Integer> pos = new HashMap<>();
            for (int i = 0; i < names.length; i++) {
                pos.putIfAbsent(names[i], i);
            }
            GlueTask.Layout l = task.layout();
            int textA = required(lines, pos, l.textA(), names);
            int textB = l.textB() == null ? -1 : required(lines, pos, l.textB(), names);
            int label = pos.getOrDefault(l.label(), -1);
            int id = l.id() == null ? -1 : pos.getOrDefault(l.id(), -1);
            return new Columns(names.length, textA, textB, label, id);
        }

        private static int required(TextLines lines, Map<String, Integer> pos, String name, String[] names) {
            Integer i = pos.get(name);
            if (i == null) {
                throw lines.error("header has no '" + name + "' column (found: " + String.join(", ", Arrays.asList(names)) + ")");
            }
            return i;
        }
    }
}
