package io.shrink.core.results;

import io.shrink.core.util.Json;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunResultTest {
    private static RunResult withDetails(Map<String, Object> details) {
        return new RunResult(RunResult.SCHEMA_VERSION, "r", "distill", List.of(), "sst2", Map.of(), null, details, null);
    }

    @Test
    void typedDetailAccessorsReadNestedValuesAndStayOutOfTheJson() {
        RunResult r = withDetails(Map.of("status", "paused", "steps", 12, "runDir", "/tmp/run",
                "teacherEvaluation", Map.of("score", 0.9)));
        assertTrue(r.paused());
        assertEquals(12, r.detailNumber("steps"));
        assertEquals("/tmp/run", r.detailText("runDir"));
        assertEquals(0.9, r.detailNumber("teacherEvaluation", "score"));
        assertNull(r.detailNumber("teacherEvaluation", "missing"));
        assertNull(r.detailNumber("runDir", "score"), "a text has no keys");
        assertNull(r.detailText("steps"), "a number is not a text");
        assertFalse(withDetails(Map.of()).paused());
        assertFalse(withDetails(null).paused());

        String json = Json.write(r);
        assertEquals(List.of("schemaVersion", "runId", "command", "models", "task", "metrics", "details"),
                List.copyOf(iterable(Json.MAPPER.valueToTree(r).fieldNames())), json);
    }

    private static <T> List<T> iterable(java.util.Iterator<T> it) {
        List<T> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
