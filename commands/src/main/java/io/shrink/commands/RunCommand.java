package io.shrink.commands;

import io.shrink.core.recipe.Recipe;
import io.shrink.core.recipe.RecipeRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Map;

/** {@code shrink run RECIPE}: repeat an experiment from a YAML recipe; re-running continues an interrupted one. */
@Command(name = "run", mixinStandardHelpOptions = true,
        header = "Run a YAML recipe from recipes/: each step is a shrink command line.",
        description = {"Steps whose 'creates' model exists are skipped; 'resumable' steps continue from their",
                "--run-dir checkpoint. So running a recipe again picks up where it stopped (e.g. in a later session).",
                "Variables $${NAME} (in 'run' and 'creates') come from --set, then the environment, then the recipe's",
                "'vars'."},
        footerHeading = "%nExamples:%n",
        footer = {"  shrink run recipes/minilm-sst2.yaml",
                "  nohup shrink run recipes/bert-base-glue.yaml --set GLUE_DIR=/data/glue > bert.log 2>&1 &"})
public final class RunCommand extends ContextCommand {
    @Parameters(paramLabel = "RECIPE", description = "Recipe file (YAML).") Path recipe;
    @Option(names = "--set", paramLabel = "NAME=VALUE", description = "Set a recipe variable.") Map<String, String> overrides = Map.of();
    @Option(names = "--dry-run", description = "Print the resolved steps without running them.") boolean dryRun;

    @Override
    Integer execute() {
        Output out = context.output();
        RecipeRunner runner = new RecipeRunner(context.models().registry(), out::progress,
                args -> context.spec().root().commandLine().execute(args.toArray(new String[0])));
        return runner.run(Recipe.read(recipe), overrides, System.getenv(), dryRun);
    }
}
