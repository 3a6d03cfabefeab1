package io.shrink.core.util;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class AtomicFilesTest {

    @TempDir
    Path dir;

    /** The permissions of {@code path} as in {@code ls -l}, e.g. {@code rw-r--r--}. */
    static String permissions(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    /** Skips the test unless the file system has POSIX permissions and the umask is the usual 022. */
    static void assumePosixWithUmask022(Path dir) throws IOException {
        assumeTrue(Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null, "POSIX permissions");
        Path probe = Files.createFile(dir.resolve("umask-probe"));
        String plain = permissions(probe);
        Files.delete(probe);
        assumeTrue(plain.equals("rw-r--r--"), "umask 022 (a plainly created file is " + plain + ")");
    }

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesContentAndLeavesNoTemporaryFile() throws IOException {
        Path target = dir.resolve("sub").resolve("a.json");
        AtomicFiles.writeString(target, "first");
        AtomicFiles.write(target, new byte[] {'s', 'e', 'c', 'o', 'n', 'd'});
        assertEquals("second", Files.readString(target));
        try (Stream<Path> s = Files.list(target.getParent())) {
            assertEquals(List.of("a.json"), s.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void failedWriteKeepsTheOldFileAndLeavesNoTemporaryFile() throws IOException {
        Path target = dir.resolve("a.json");
        AtomicFiles.writeString(target, "old");
        assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> {
            out.write(1);
            throw new IOException("disk full");
        }));
        assertEquals("old", Files.readString(target));
        assertEquals(List.of("a.json"), names());
    }

    @Test
    void newFileIsReadableByOthersAsAPlainFileWouldBe() throws IOException {
        assumePosixWithUmask022(dir);
        Path target = dir.resolve("config.json");
        AtomicFiles.writeString(target, "{}");
        assertEquals("rw-r--r--", permissions(target));
    }

    @Test
    void replacedFileKeepsItsPermissions() throws IOException {
        assumePosixWithUmask022(dir);
        Path target = dir.resolve("secret.json");
        AtomicFiles.writeString(target, "old");
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-------"));
        AtomicFiles.writeString(target, "new");
        assertEquals("rw-------", permissions(target));
        assertEquals("new", Files.readString(target));
    }

    @Test
    void stagingDirectoryIsReadableByOthersAsAPlainDirectoryWouldBe() throws IOException {
        assumePosixWithUmask022(dir);
        Path staging = AtomicFiles.createStagingDirectory(dir.resolve("parent"), ".out.export-");
        assertEquals(dir.resolve("parent"), staging.getParent());
        assertTrue(staging.getFileName().toString().startsWith(".out.export-"));
        assertEquals("rwxr-xr-x", permissions(staging));
    }
}
