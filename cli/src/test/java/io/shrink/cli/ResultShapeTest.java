package io.shrink.cli;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import io.shrink.core.results.RunResult;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ResultShape} on small documents; the golden shapes of real results are checked by the *CliIT tests. */
class ResultShapeTest {
    @Test
    void listsPathsAndTypesSortedWithDataKeysMergedAndOptionalKeysMarked() throws Exception {
        JsonNode root = ResultShape.JSON.readTree("""
                {"schemaVersion": 1, "runId": "r", "command": "x",
                 "models": [{"id": "m", "parameters": 3}, {"id": "n", "parameters": 4, "extra": true}],
                 "metrics": {"b.acc": {"value": 0.5, "ciLow": 0.1}, "a/f1": {"value": 1.0}},
                 "timings": {"wallSeconds": 2.5, "phases": {"train": 1.0}},
                 "details": {"steps": 12, "none": null, "pairs": [[0, 0], [1, 2]], "empty": []},
                 "provenance": {"options": {"lr": 0.001, "7": "anything"}, "seed": 42}}
                """);
        assertEquals("""
                # result.json shape (paths and JSON types, not values), schemaVersion 1
                command: string
                details: object
                details.empty: array
                details.none: null
                details.pairs: array
                details.pairs[]: array
                details.pairs[][]: integer
                details.steps: integer
                metrics: object
                metrics.*: object
                metrics.*.ciLow: number (optional)
                metrics.*.value: number
                models: array
                models[]: object
                models[].extra: boolean (optional)
                models[].id: string
                models[].parameters: integer
                provenance: object
                provenance.gitCommit: string (optional)
                provenance.options: object (contents not pinned)
                provenance.seed: integer
                runId: string
                schemaVersion: integer
                timings: object
                timings.phases: object
                timings.phases.*: number
                timings.wallSeconds: number
                """, ResultShape.of(root));
        ResultShape.assertTopLevelOrder(root, "the example");
    }

    @Test
    void keyOrderIsNotPartOfTheShapeButTheTopLevelOrderIsChecked() throws Exception {
        JsonNode a = ResultShape.JSON.readTree("{\"schemaVersion\": 1, \"command\": \"x\", \"details\": {\"a\": 1, \"b\": \"s\"}}");
        JsonNode b = ResultShape.JSON.readTree("{\"command\": \"x\", \"schemaVersion\": 1, \"details\": {\"b\": \"t\", \"a\": 2}}");
        assertEquals(ResultShape.of(a), ResultShape.of(b));
        ResultShape.assertTopLevelOrder(a, "a");
        AssertionError e = assertThrows(AssertionError.class, () -> ResultShape.assertTopLevelOrder(b, "b"));
        assertTrue(e.getMessage().contains("[schemaVersion, command, details]"), e.getMessage());
        JsonNode unknown = ResultShape.JSON.readTree("{\"schemaVersion\": 1, \"extra\": 1}");
        assertThrows(AssertionError.class, () -> ResultShape.assertTopLevelOrder(unknown, "unknown"));
    }

    @Test
    void anUndeclaredMapWithDataKeysIsRefused() throws Exception {
        JsonNode root = ResultShape.JSON.readTree("{\"details\": {\"perSeq\": {\"16\": 1, \"32\": 2}}}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ResultShape.of(root));
        assertTrue(e.getMessage().contains("'16' of 'details.perSeq'") && e.getMessage().contains("ResultShape.KEYS"),
                e.getMessage());
    }

    @Test
    void topLevelOrderIsRunResultsAndTheReadmes() throws Exception {
        assertEquals(List.of(RunResult.class.getAnnotation(JsonPropertyOrder.class).value()), ResultShape.TOP_LEVEL_ORDER);
        String readme = Files.readString(GoldenFilesTest.PROJECT.resolve("results/README.md"), StandardCharsets.UTF_8);
        int start = readme.indexOf("## Run result");
        assertTrue(start >= 0, "results/README.md documents the run result");
        String section = readme.substring(start, readme.indexOf("\n### ", start));
        List<String> documented = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^\\| `([A-Za-z]+)` \\|").matcher(section);
        while (m.find()) {
            documented.add(m.group(1));
        }
        assertEquals(ResultShape.TOP_LEVEL_ORDER, documented, "the key table of results/README.md's run result");
        assertTrue(section.contains("`schemaVersion` " + RunResult.SCHEMA_VERSION + ")"), "README names schema version "
                + RunResult.SCHEMA_VERSION);
    }

    @Test
    void aChangedGoldenFileIsReportedWithTheDifferingLines() {
        String diff = GoldenFilesTest.diff("a: string\nb: integer\nc: object\n", "a: string\nb: number\nc: object\nd: null\n");
        assertEquals("  - b: integer\n  + b: number\n  + d: null", diff);
    }
}
