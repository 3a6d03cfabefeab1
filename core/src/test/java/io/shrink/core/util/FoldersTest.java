package io.shrink.core.util;

import io.shrink.core.ShrinkException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A folder path that is, or lies under, a file is a usage error naming the file. */
class FoldersTest {
    @TempDir
    Path tmp;

    @Test
    void namesTheComponentThatIsAFile() throws Exception {
        Path file = Files.writeString(tmp.resolve("notes"), "x");
        ShrinkException e = assertThrows(ShrinkException.class, () -> Folders.requireUsable(file.resolve("a/b"), "--run-dir"));
        assertEquals(ShrinkException.Kind.USAGE, e.kind());
        assertEquals("--run-dir " + file.resolve("a/b") + ": " + file + " is a file, not a folder; name a folder", e.getMessage());
        e = assertThrows(ShrinkException.class, () -> Folders.requireUsable(file, "registry"));
        assertEquals("registry " + file + " is a file, not a folder; name a folder", e.getMessage());
        assertEquals(tmp.resolve("new/deeper"), Folders.requireUsable(tmp.resolve("new/deeper"), "--run-dir"));
        assertEquals(tmp, Folders.requireUsable(tmp, "--run-dir"));
    }
}
