package io.shrink.core.recipe;

import io.shrink.core.registry.ModelRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecipeRunnerTest {
    @TempDir
    Path dir;

    @Test
    void skipsWhatExistsResumesCheckpointedRunsAndStopsAtTheFirstFailure() throws IOException {
        ModelRegistry registry = new ModelRegistry(dir.resolve("registry"));
        Files.createDirectories(registry.home().resolve("models/done"));
        Files.writeString(registry.home().resolve("models/done/entry.json"), "{}");
        Path run = dir.resolve("run");
        Files.createDirectories(run.resolve("checkpoint"));
        Path f = dir.resolve("r.yaml");
        Files.writeString(f, "recipe: 1\nvars: {RUN: x}\nsteps:\n"
                + "  - run: models import a --id done\n    creates: done\n"
                + "  - run: fine-tune done --task sst2 --run-dir ${RUN}\n    creates: done-sst2\n    resumable: true\n"
                + "  - run: evaluate done-sst2 --task sst2\n"
                + "  - run: never\n");
        List<List<String>> ran = new ArrayList<>();
        List<String> said = new ArrayList<>();
        RecipeRunner runner = new RecipeRunner(registry, said::add, args -> {
            ran.add(args);
            return args.contains("evaluate") ? 3 : 0;
        });

        assertEquals(3, runner.run(Recipe.read(f), Map.of("RUN", run.toString()), Map.of(), false), "the failing step's code");
        String reg = "--registry=" + registry.home();
        assertEquals(List.of(List.of(reg, "fine-tune", "done", "--task", "sst2", "--run-dir", run.toString(), "--resume"),
                List.of(reg, "evaluate", "done-sst2", "--task", "sst2")), ran);
        assertEquals("step 1: skipped, done exists", said.get(0));
        assertEquals("step 2: shrink fine-tune done --task sst2 --run-dir " + run + " --resume", said.get(1));
        assertEquals("step 3 failed with exit code 3", said.get(said.size() - 1));

        ran.clear();
        said.clear();
        assertEquals(0, runner.run(Recipe.read(f), Map.of("RUN", dir.resolve("fresh").toString()), Map.of(), true));
        assertTrue(ran.isEmpty(), "a dry run runs nothing");
        assertEquals(4, said.size(), "but names every step: " + said);
        assertEquals("step 2: shrink fine-tune done --task sst2 --run-dir " + dir.resolve("fresh"), said.get(1),
                "no --resume without a checkpoint");
    }
}
