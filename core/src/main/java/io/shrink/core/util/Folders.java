package io.shrink.core.util;

import io.shrink.core.ShrinkException;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks that a folder the user named is a folder or can become one, before anything is written: a path that is, or
 * lies under, a regular file is a usage error naming the component that is a file, instead of a low-level
 * "Not a directory" failure halfway through.
 */
public final class Folders {
    private Folders() {
    }

    /**
     * A usage error unless {@code dir} is a directory or can be created as one; {@code what} names it for the message,
     * e.g. "--run-dir" or "registry".
     */
    public static Path requireUsable(Path dir, String what) {
        Path abs = dir.toAbsolutePath().normalize();
        for (Path p = abs; p != null; p = p.getParent()) {
            if (Files.isDirectory(p)) {
                return dir;
            }
            if (Files.exists(p)) {
                throw ShrinkException.usage(what + " " + abs + (p.equals(abs) ? " is a file, not a folder"
                        : ": " + p + " is a file, not a folder") + "; name a folder");
            }
        }
        return dir;
    }
}
