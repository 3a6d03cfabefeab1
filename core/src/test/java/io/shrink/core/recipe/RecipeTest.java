package io.shrink.core.recipe;

import io.shrink.core.ShrinkException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecipeTest {
    @TempDir
    Path dir;

    @Test
    void substitutesVariablesFromSetThenEnvironmentThenDefaults() throws IOException {
        Path f = dir.resolve("r.yaml");
        Files.writeString(f, "recipe: 1\ndescription: test\nvars: {A: one, B: two}\nsteps:\n"
                + "  - run: fine-tune m --task sst2 --glue-dir ${A} --id 'x y' --run-dir ${B}/${C}\n    creates: m-${B}\n    resumable: true\n");
        Recipe r = Recipe.read(f);
        List<Recipe.Resolved> steps = r.resolve(Map.of("B", "set"), Map.of("A", "env", "C", "c"));
        assertEquals(List.of("fine-tune", "m", "--task", "sst2", "--glue-dir", "env", "--id", "x y", "--run-dir", "set/c"),
                steps.get(0).args());
        assertEquals("m-set", steps.get(0).creates(), "variables are substituted in creates too");
        assertTrue(steps.get(0).resumable());
        assertEquals(ShrinkException.Kind.USAGE,
                assertThrows(ShrinkException.class, () -> r.resolve(Map.of(), Map.of())).kind(), "C undefined");
    }

    @Test
    void invalidRecipesAreUsageErrors() throws IOException {
        for (String bad : List.of("recipe: 2\nsteps: [{run: x}]\n", "recipe: 1\nsteps: []\n",
                "recipe: 1\nsteps: [{creates: x}]\n", "recipe: 1\nsteps: [{run: x, typo: 1}]\n", "not: [valid")) {
            Path f = dir.resolve("bad.yaml");
            Files.writeString(f, bad);
            ShrinkException e = assertThrows(ShrinkException.class, () -> Recipe.read(f), bad);
            assertEquals(ShrinkException.Kind.USAGE, e.kind(), bad);
            assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        }
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT,
                assertThrows(ShrinkException.class, () -> Recipe.read(dir.resolve("absent.yaml"))).kind());
    }

    @Test
    void everyCommittedRecipeParsesAndResolves() throws IOException {
        Path recipes = Path.of(System.getProperty("shrink.projectDir", "..")).resolve("recipes");
        try (Stream<Path> s = Files.list(recipes)) {
            List<Path> files = s.filter(p -> p.toString().endsWith(".yaml")).toList();
            assertFalse(files.isEmpty());
            for (Path f : files) {
                Recipe r = Recipe.read(f);
                assertFalse(r.resolve(Map.of(), Map.of()).isEmpty(), f.toString());
            }
        }
    }
}
