package io.shrink.core.recipe;

import io.shrink.core.registry.ModelRegistry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Runs a {@link Recipe}'s steps in order against one registry: a step whose {@code creates} model exists is
 * skipped, a {@code resumable} step gets {@code --resume} when its {@code --run-dir} holds a checkpoint, and
 * the first step that fails stops the recipe. So running a recipe again continues where it stopped.
 * The steps are shrink command lines; the caller runs them (core knows no command-line parser).
 */
public final class RecipeRunner {
    /** Runs one shrink command line (without the leading {@code shrink}) and returns its exit code. */
    @FunctionalInterface
    public interface Steps {
        int execute(List<String> args);
    }

    private final ModelRegistry registry;
    private final Consumer<String> progress;
    private final Steps steps;

    /**
     * @param registry the registry the steps use (each step gets {@code --registry} pointing at it)
     * @param progress where each step is announced
     * @param steps    runs a step's command line
     */
    public RecipeRunner(ModelRegistry registry, Consumer<String> progress, Steps steps) {
        this.registry = registry;
        this.progress = progress;
        this.steps = steps;
    }

    /**
     * Runs the recipe with its variables resolved ({@link Recipe#resolve}); with {@code dryRun} only announces
     * the steps. Returns 0, or the exit code of the step that failed.
     */
    public int run(Recipe recipe, Map<String, String> overrides, Map<String, String> env, boolean dryRun) {
        List<Recipe.Resolved> resolved = recipe.resolve(overrides, env);
        for (int i = 0; i < resolved.size(); i++) {
            Recipe.Resolved step = resolved.get(i);
            if (step.creates() != null && registry.exists(step.creates())) {
                progress.accept("step " + (i + 1) + ": skipped, " + step.creates() + " exists");
                continue;
            }
            List<String> args = new ArrayList<>(step.args());
            int runDir = args.indexOf("--run-dir");
            if (step.resumable() && runDir >= 0 && runDir + 1 < args.size()
                    && Files.isDirectory(Path.of(args.get(runDir + 1)).resolve("checkpoint"))) {
                args.add("--resume");
            }
            progress.accept("step " + (i + 1) + ": shrink " + String.join(" ", args));
            if (dryRun) {
                continue;
            }
            args.add(0, "--registry=" + registry.home());
            int code = steps.execute(args);
            if (code != 0) {
                progress.accept("step " + (i + 1) + " failed with exit code " + code);
                return code;
            }
        }
        return 0;
    }
}
