package io.shrink.core.util;

import ai.djl.engine.Engine;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/** The versions of shrink and of the stack under it, for {@code --version} and result provenance. */
public final class Versions {

    private Versions() {
    }

    /** shrink's own version, from the build. */
    public static String shrink() {
        try (InputStream in = Versions.class.getResourceAsStream("/io/shrink/core/version.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                return p.getProperty("version", "unknown");
            }
        } catch (IOException ignored) {
            // fall through to "unknown": a missing resource only makes --version less informative
        }
        return "unknown";
    }

    /** shrink, DJL, PyTorch (loads the engine), JDK and OS versions, in display order. */
    public static Map<String, String> all() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("shrink", shrink());
        v.put("djl", Engine.getDjlVersion());
        String torch;
        try {
            torch = Engine.getEngine("PyTorch").getVersion();
        } catch (RuntimeException e) {
            torch = "unavailable (" + e.getMessage() + ")";
        }
        v.put("pytorch", torch);
        v.put("jdk", System.getProperty("java.vendor") + " " + System.getProperty("java.version"));
        v.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        return v;
    }
}
