package io.shrink.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shape of a {@code result.json}: every path with its JSON types, not its values, one per line, sorted, so that
 * a golden file of it ({@code cli/src/test/resources/golden/result-<name>.shape.txt}) pins the result schema
 * (documented in {@code results/README.md}). Key order is left out of the shape; {@link #assertTopLevelOrder} checks
 * the documented order of the top-level keys separately.
 *
 * <p>A line reads {@code path: types}: {@code a.b} is key {@code b} of object {@code a}, {@code a[]} the elements of
 * array {@code a} (all elements merged), {@code a.*} the values of a map whose keys are data (metric names, phases,
 * sequence lengths, ...; all values merged). Types are {@code object}, {@code array}, {@code string},
 * {@code integer}, {@code number} (with a fraction), {@code boolean} and {@code null}, joined by {@code |} where a
 * path holds several. A key that only some of the merged objects have is marked {@code (optional)}.
 *
 * <p>After a deliberate change of the schema (and a bump of {@code RunResult.SCHEMA_VERSION}), regenerate the
 * golden files with {@code mvn -o -B -pl core,commands,cli -am verify -Dtest=NoSuchTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Dit.test='FineTuneCliIT,DistillCliIT,BenchmarkCliIT'
 * -Dshrink.updateGolden=true}.
 */
final class ResultShape {
    static final ObjectMapper JSON = new ObjectMapper();

    /** The top-level keys in the order {@code RunResult} writes them (and {@code results/README.md} lists them). */
    static final List<String> TOP_LEVEL_ORDER = List.of("schemaVersion", "runId", "command", "models", "task", "metrics",
            "timings", "details", "provenance");

    /** How the keys of an object at a path count. */
    enum Keys {
        /** keys are data: rendered as {@code *}, values merged */
        DATA,
        /** contents are not part of the pinned shape (they follow each command's options or the machine) */
        OPAQUE
    }

    /**
     * Paths (in rendered form) whose keys are not schema. Every other object's keys are schema, and must look like
     * names ({@link #NAME}): a key such as {@code tiny.b1.s8.seqPerSec} or {@code 16} under an undeclared path fails,
     * so a new data-keyed map is declared here rather than pinned by accident.
     */
    static final Map<String, Keys> KEYS = Map.ofEntries(
            Map.entry("metrics", Keys.DATA),
            Map.entry("timings.phases", Keys.DATA),
            // every resolved option: pinned by the commands' --help golden files, not here
            Map.entry("provenance.options", Keys.OPAQUE),
            // the instruction-set extensions of the machine; empty on some
            Map.entry("provenance.hardware.isaFlags", Keys.OPAQUE),
            Map.entry("details.evaluations[].metrics", Keys.DATA),
            Map.entry("details.teacherEvaluation.metrics", Keys.DATA),
            Map.entry("details.taskScores", Keys.DATA),
            Map.entry("details.comparisons", Keys.DATA),
            Map.entry("details.models[].flopsPerSequence", Keys.DATA),
            Map.entry("details.compare.ratios", Keys.DATA),
            // static int8: the calibrated input range of each int8 linear, and each one's sensitivity, by module name
            Map.entry("details.quantization.inputRanges", Keys.DATA),
            Map.entry("details.options.sensitivity", Keys.DATA),
            // measured only where the CPU has bf16 hardware; notes name what this CPU lacks (none on some)
            Map.entry("details.precisionPeaks.bf16Gemms", Keys.OPAQUE),
            Map.entry("details.precisionPeaks.notes", Keys.OPAQUE));

    /** Keys that some machines leave out (with the type they have where present): always rendered optional. */
    static final Map<String, String> MAY_BE_ABSENT = Map.of(
            // null, so absent, outside a git checkout
            "provenance.gitCommit", "string",
            // the bf16 matmul peak, measured only where the CPU has bf16 hardware
            "details.precisionPeaks.bf16", "number");

    static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]*");

    private ResultShape() {
    }

    /**
     * Checks {@code resultJson} against {@code golden/result-<name>.shape.txt} with {@link GoldenFilesTest#check}
     * ({@code -Dshrink.updateGolden=true} rewrites it), after checking the order of its top-level keys.
     */
    static void assertMatchesGolden(String name, Path resultJson) throws IOException {
        JsonNode root = JSON.readTree(resultJson.toFile());
        assertTopLevelOrder(root, resultJson.toString());
        List<String> problems = new ArrayList<>();
        GoldenFilesTest.check(golden(name), of(root), problems);
        assertTrue(problems.isEmpty(), "shape of " + resultJson + ":\n" + String.join("\n", problems));
    }

    static Path golden(String name) {
        return GoldenFilesTest.PROJECT.resolve("cli/src/test/resources/golden/result-" + name + ".shape.txt");
    }

    /** The top-level keys present come in {@link #TOP_LEVEL_ORDER}, and there are no others. */
    static void assertTopLevelOrder(JsonNode root, String what) {
        List<String> actual = new ArrayList<>();
        root.fieldNames().forEachRemaining(actual::add);
        List<String> expected = TOP_LEVEL_ORDER.stream().filter(actual::contains).toList();
        assertEquals(expected, actual, "top-level keys of " + what + " in the documented order "
                + TOP_LEVEL_ORDER + " (RunResult, results/README.md)");
    }

    /** The shape listing of a result: a header naming its schema version, then one line per path. */
    static String of(JsonNode root) {
        Node shape = new Node();
        add(shape, root, "");
        StringBuilder out = new StringBuilder("# result.json shape (paths and JSON types, not values), schemaVersion ")
                .append(root.path("schemaVersion").asText("?")).append('\n');
        render(shape, "", false, out);
        return out.toString();
    }

    /** What the values merged at one path have in common. */
    private static final class Node {
        final Set<String> types = new TreeSet<>();
        /** values merged here, and how many of them were objects */
        int values;
        int objects;
        final Map<String, Node> fields = new TreeMap<>();
        Node items;
    }

    private static void add(Node node, JsonNode value, String path) {
        node.values++;
        node.types.add(type(value));
        Keys keys = KEYS.get(path);
        if (keys == Keys.OPAQUE) {
            return;
        }
        if (value.isObject()) {
            node.objects++;
            for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                String key = keys == Keys.DATA ? "*" : field.getKey();
                if (keys != Keys.DATA && !NAME.matcher(key).matches()) {
                    throw new IllegalArgumentException("key '" + key + "' of '" + (path.isEmpty() ? "(top level)" : path)
                            + "' looks like data, not a schema name: declare that path in ResultShape.KEYS");
                }
                add(node.fields.computeIfAbsent(key, k -> new Node()), field.getValue(), child(path, key));
            }
        } else if (value.isArray()) {
            if (node.items == null) {
                node.items = new Node();
            }
            for (JsonNode element : value) {
                add(node.items, element, path + "[]");
            }
        }
    }

    private static void render(Node node, String path, boolean optional, StringBuilder out) {
        if (!path.isEmpty()) {
            out.append(path).append(": ").append(String.join(" | ", node.types));
            if (KEYS.get(path) == Keys.OPAQUE) {
                out.append(" (contents not pinned)");
            }
            out.append(optional ? " (optional)" : "").append('\n');
        }
        if (node.items != null && node.items.values > 0) {
            render(node.items, path + "[]", false, out);
        }
        Map<String, Node> fields = new TreeMap<>(node.fields);
        if (node.objects > 0) {
            MAY_BE_ABSENT.forEach((p, type) -> {
                int dot = p.lastIndexOf('.');
                if ((dot < 0 ? "" : p.substring(0, dot)).equals(path)) {
                    fields.computeIfAbsent(p.substring(dot + 1), k -> {
                        Node absent = new Node();
                        absent.types.add(type);
                        return absent;
                    });
                }
            });
        }
        fields.forEach((key, child) -> {
            String p = child(path, key);
            render(child, p, !key.equals("*") && (child.values < node.objects || MAY_BE_ABSENT.containsKey(p)), out);
        });
    }

    private static String child(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    static String type(JsonNode value) {
        return switch (value.getNodeType()) {
            case OBJECT -> "object";
            case ARRAY -> "array";
            case STRING -> "string";
            case NUMBER -> value.isIntegralNumber() ? "integer" : "number";
            case BOOLEAN -> "boolean";
            case NULL -> "null";
            default -> value.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
