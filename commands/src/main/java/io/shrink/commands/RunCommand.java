package io.shrink.commands;

import io.shrink.core.recipe.Recipe;
import io.shrink.core.registry.ModelRegistry;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

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
public final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "RECIPE", description = "Recipe file (YAML).")
    Path recipe;

    @Option(names = "--set", paramLabel = "NAME=VALUE", description = "Set a recipe variable.")
    Map<String, String> overrides = Map.of();

    @Option(names = "--dry-run", description = "Print the resolved steps without running them.")
    boolean dryRun;

    @Override
    public Integer call() {
        Recipe r = Recipe.read(recipe);
        List<Recipe.Resolved> steps = r.resolve(overrides, System.getenv());
        Output out = ModelsCommand.output(spec);
        ModelRegistry registry = ModelsCommand.service(spec).registry();
        String registryHome = ((ShrinkCommand) spec.root().userObject()).registryHome().toString();
        for (int i = 0; i < steps.size(); i++) {
            Recipe.Resolved step = steps.get(i);
            List<String> args = new ArrayList<>(step.args());
            if (step.creates() != null && registry.exists(step.creates())) {
                out.progress("step " + (i + 1) + ": skipped, " + step.creates() + " exists");
                continue;
            }
            int runDir = args.indexOf("--run-dir");
            if (step.resumable() && runDir >= 0 && runDir + 1 < args.size()
                    && Files.isDirectory(Path.of(args.get(runDir + 1)).resolve("checkpoint"))) {
                args.add("--resume");
            }
            args.add(0, "--registry=" + registryHome);
            out.progress("step " + (i + 1) + ": shrink " + String.join(" ", args.subList(1, args.size())));
            if (dryRun) {
                continue;
            }
            CommandLine root = spec.root().commandLine();
            int code = root.execute(args.toArray(new String[0]));
            if (code != 0) {
                out.progress("step " + (i + 1) + " failed with exit code " + code);
                return code;
            }
        }
        return 0;
    }
}
