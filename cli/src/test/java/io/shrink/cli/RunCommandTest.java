package io.shrink.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code shrink run} in-process: the steps run through the same command tree, against the same registry. */
class RunCommandTest {
    @TempDir
    Path tmp;

    @Test
    void runsEachStepWithTheRegistryInForceAndStopsAtAFailure() throws Exception {
        Path recipe = tmp.resolve("r.yaml");
        Files.writeString(recipe, "recipe: 1\nvars: {ID: nope}\nsteps:\n  - run: models list --json\n"
                + "  - run: models show ${ID}\n  - run: models list\n");
        Path registry = tmp.resolve("registry");

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), "--registry", registry.toString(), "run",
                recipe.toString());
        assertEquals(3, code, "models show of a missing model: " + err);
        assertTrue(out.toString().startsWith("["), "step 1 printed the empty registry as JSON: " + out);
        assertTrue(err.toString().contains("step 2: shrink models show nope"), err.toString());
        assertTrue(err.toString().contains("step 2 failed with exit code 3"), err.toString());
        assertFalse(err.toString().contains("step 3"), "no step after the failure: " + err);

        StringWriter dry = new StringWriter();
        assertEquals(0, Main.run(new PrintWriter(new StringWriter()), new PrintWriter(dry), "--registry",
                registry.toString(), "run", recipe.toString(), "--dry-run", "--set", "ID=other"));
        assertTrue(dry.toString().contains("step 2: shrink models show other"), dry.toString());
        assertTrue(dry.toString().contains("step 3: shrink models list"), dry.toString());
    }
}
