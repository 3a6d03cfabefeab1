package io.shrink.core.util;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.UUID;

/**
 * Writes files so that readers see either the old content or the complete new one, never a half-written file, and
 * so that the new content is on disk before it replaces the old.
 *
 * <p>Temporary files and directories are created as a plain {@code open}/{@code mkdir} would create them, so they
 * get the permissions the process's umask gives (rw-r--r-- and rwxr-xr-x under the usual 022), not the
 * owner-only permissions of {@link Files#createTempFile} and {@link Files#createTempDirectory}: what is renamed
 * into place is readable by whoever may read the directory it lands in.
 */
public final class AtomicFiles {

    private static final int ATTEMPTS = 100;

    /** Something that writes a file's content to a stream. */
    @FunctionalInterface
    public interface StreamWriter {
        /** Writes the content to {@code out}; closing {@code out} is allowed but not needed. */
        void write(OutputStream out) throws IOException;
    }

    private AtomicFiles() {
    }

    /**
     * Writes {@code target} through a temporary sibling file that is forced to disk and then renamed into place. A
     * new file gets the permissions the umask gives; a replaced file keeps its permissions where the file system
     * has POSIX permissions.
     */
    public static void write(Path target, StreamWriter writer) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = createSibling(dir, "." + target.getFileName() + ".");
        try {
            try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.WRITE)) {
                writer.write(out);
            }
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            keepPermissions(target, tmp);
            move(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes a byte array atomically (see {@link #write(Path, StreamWriter)}). */
    public static void write(Path target, byte[] content) throws IOException {
        write(target, out -> out.write(content));
    }

    /** Writes a UTF-8 string atomically (see {@link #write(Path, StreamWriter)}). */
    public static void writeString(Path target, String content) throws IOException {
        write(target, content.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Creates a new, empty directory {@code prefix<random>} in {@code parent} for content that is later renamed
     * into place; it gets the permissions the umask gives, as {@code mkdir} would, unlike
     * {@link Files#createTempDirectory}.
     */
    public static Path createStagingDirectory(Path parent, String prefix) throws IOException {
        Files.createDirectories(parent);
        for (int attempt = 1; ; attempt++) {
            try {
                return Files.createDirectory(parent.resolve(prefix + UUID.randomUUID()));
            } catch (FileAlreadyExistsException e) {
                if (attempt == ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    /** Renames {@code source} onto {@code target} atomically where the file system allows it. */
    public static void move(Path source, Path target) throws IOException {
        try {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(source, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static Path createSibling(Path dir, String prefix) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return Files.createFile(dir.resolve(prefix + UUID.randomUUID() + ".tmp"));
            } catch (FileAlreadyExistsException e) {
                if (attempt == ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    private static void keepPermissions(Path target, Path tmp) throws IOException {
        PosixFileAttributeView from = Files.getFileAttributeView(target, PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        PosixFileAttributeView to = Files.getFileAttributeView(tmp, PosixFileAttributeView.class);
        if (from == null || to == null || !Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        to.setPermissions(from.readAttributes().permissions());
    }
}
