package io.shrink.core.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.shrink.core.ShrinkException;
import io.shrink.core.util.AtomicFiles;
import io.shrink.core.util.FileTrees;
import io.shrink.core.util.Folders;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * The on-disk store of models that every shrink command reads and writes.
 *
 * <p>Layout under the home directory: {@code models/<id>/} holds a model's files and its {@code entry.json};
 * {@code .lock} is the lock file; {@code .staging/} holds directories being written or deleted. Every mutation
 * runs under an exclusive lock that works across threads and processes; a model directory appears and disappears
 * by atomic renames and {@code entry.json} is only ever replaced by an atomic rename, so reads need no lock.
 *
 * <p>A replace moves the old model to {@code .staging/trash-<id>-<uuid>} before the new one moves in, and renames
 * it to {@code removed-<id>-<uuid>} once the new one is in place; a removal moves the model straight to
 * {@code removed-...}. {@code removed-*} directories are deleted after the lock is released, or by the next lock
 * holder. A staging directory is created after its {@code <name>.lock} file is locked, and that lock dies with its
 * process: the next lock holder deletes the staging of a process that is gone (killed mid-write) at once. A
 * {@code trash-*} directory whose model directory is missing (a crash or failed rollback between the two
 * moves) is moved back by the next lock holder, so a replace never loses the old model.
 */
public final class ModelRegistry {

    /** Name of the file that holds a model's {@link RegistryEntry}. */
    public static final String ENTRY_FILE = "entry.json";

    /**
     * Staging directories without a lock file (left by an older shrink) and older than this are deleted when the lock
     * is taken; one whose lock file no live process holds is deleted at once.
     */
    public static final Duration STALE_AFTER = Duration.ofHours(1);

    /** Prefix of an old model moved aside by a replace; restored when its model directory is missing. */
    private static final String TRASH_PREFIX = "trash-";
    /** Prefix of a model directory that is no longer needed; always deleted. */
    private static final String GARBAGE_PREFIX = "removed-";
    private static final int UUID_LENGTH = 36;
    private static final String LOCK_SUFFIX = ".lock";
    private static final Map<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();
    private static final Set<Path> STAGING_IN_USE = ConcurrentHashMap.newKeySet();
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    private final Path home;
    private final Path models;
    private final Path staging;
    private final Path lockFile;
    private volatile List<String> problems = List.of();

    /** Writes a model's files into a fresh, empty directory. */
    @FunctionalInterface
    public interface FilesWriter {
        /** Writes the model's files into {@code dir}. */
        void write(Path dir) throws IOException;
    }

    /**
     * The result of scanning the registry.
     *
     * @param entries  readable entries, sorted by id
     * @param problems one line per model directory that was skipped and why
     */
    public record Listing(List<RegistryEntry> entries, List<String> problems) {

        public Listing {
            entries = List.copyOf(entries);
            problems = List.copyOf(problems);
        }
    }

    /**
     * A registry rooted at {@code home}; nothing is created until the first mutation. A home that is, or lies under, a
     * regular file is a usage error (--registry or $SHRINK_HOME names a file).
     */
    public ModelRegistry(Path home) {
        Folders.requireUsable(Objects.requireNonNull(home, "home"), "registry (--registry or $SHRINK_HOME)");
        this.home = home.toAbsolutePath().normalize();
        this.models = this.home.resolve("models");
        this.staging = this.home.resolve(".staging");
        this.lockFile = this.home.resolve(".lock");
    }

    /** {@code $SHRINK_HOME} when set, else {@code ~/.shrink}. */
    public static Path defaultHome() {
        String env = System.getenv("SHRINK_HOME");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".shrink");
    }

    /** The registry's home directory. */
    public Path home() {
        return home;
    }

    /** Readable entries sorted by id; unreadable ones are skipped and reported by {@link #problems()}. */
    public List<RegistryEntry> list() {
        return scan().entries();
    }

    /** Why model directories were skipped by the most recent {@link #list()} or {@link #scan()} on this instance. */
    public List<String> problems() {
        return problems;
    }

    /** Reads every entry; directories that are not readable models are reported in the listing's problems. */
    public Listing scan() {
        List<RegistryEntry> entries = new ArrayList<>();
        List<String> found = new ArrayList<>();
        if (Files.isDirectory(models)) {
            List<Path> dirs = new ArrayList<>();
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(models)) {
                stream.forEach(dirs::add);
            } catch (IOException e) {
                throw ShrinkException.failed("could not list " + models + ": " + e.getMessage(), e);
            }
            dirs.sort(Path::compareTo);
            for (Path dir : dirs) {
                String name = dir.getFileName().toString();
                if (!ModelId.isValid(name)) {
                    found.add("skipped " + dir + ": '" + name + "' is not a valid model id");
                } else if (!Files.isDirectory(dir)) {
                    found.add("skipped " + dir + ": not a directory");
                } else {
                    try {
                        entries.add(read(name));
                    } catch (ShrinkException e) {
                        found.add("skipped '" + name + "': " + e.getMessage());
                    }
                }
            }
        }
        Listing listing = new Listing(entries, found);
        problems = listing.problems();
        return listing;
    }

    /** The entry of model {@code id}; a missing or corrupt entry is a {@code MISSING_OR_CORRUPT} error. */
    public RegistryEntry show(String id) {
        return read(ModelId.validate(id));
    }

    /** The directory that holds model {@code id}'s files; the model must exist. */
    public Path modelDir(String id) {
        if (!exists(id)) {
            throw missing(id);
        }
        return models.resolve(id);
    }

    /** Whether model {@code id} exists (its {@code entry.json} is present). */
    public boolean exists(String id) {
        return Files.isRegularFile(entryFile(ModelId.validate(id)));
    }

    /**
     * Whether model {@code id} has a directory in the registry, without reading its {@code entry.json}: true also
     * for a model whose entry is missing or corrupt, which {@link #remove(String)} can still remove.
     */
    public boolean hasDirectory(String id) {
        return Files.isDirectory(models.resolve(ModelId.validate(id)));
    }

    /** Throws the usual {@code MISSING_OR_CORRUPT} "no model" error unless {@link #hasDirectory(String)}. */
    public void requireDirectory(String id) {
        if (!hasDirectory(id)) {
            throw missing(id);
        }
    }

    /**
     * Adds a model: {@code writer} writes the model's files into a fresh staging directory, the registry stores
     * {@code entry} there with {@code bytesOnDisk} (the files' total size, {@code entry.json} excluded), the
     * current schema version and, when missing, {@code createdAt} filled in, and then renames the directory into
     * place. If anything fails, the staging directory is deleted and the registry is unchanged.
     *
     * @param entry   the entry to store; its id names the model
     * @param replace whether an existing model with the same id is replaced; otherwise that is a usage error
     * @param writer  writes the model's files
     * @return the entry as stored
     */
    public RegistryEntry add(RegistryEntry entry, boolean replace, FilesWriter writer) {
        Objects.requireNonNull(entry, "entry");
        Objects.requireNonNull(writer, "writer");
        String id = ModelId.validate(entry.id());
        if (entry.parent() != null) {
            ModelId.validate(entry.parent());
        }
        if (!replace && Files.exists(models.resolve(id))) {
            throw alreadyExists(id);
        }
        try (Staged staged = stage("add-" + id + "-")) {
            writer.write(staged.dir());
            long bytes = sizeOf(staged.dir());
            String created = entry.createdAt() != null
                    ? entry.createdAt()
                    : Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
            RegistryEntry stored = entry.stamped(bytes, created);
            writeJson(staged.dir().resolve(ENTRY_FILE), stored);
            Path garbage = locked(() -> {
                Path target = models.resolve(id);
                if (!Files.exists(target)) {
                    Files.move(staged.dir(), target, StandardCopyOption.ATOMIC_MOVE);
                    return null;
                }
                if (!replace) {
                    throw alreadyExists(id);
                }
                Path old = stagingPath(TRASH_PREFIX, id);
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
                try {
                    Files.move(staged.dir(), target, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException | RuntimeException e) {
                    try {
                        Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
                    } catch (IOException | RuntimeException rollback) {
                        e.addSuppressed(rollback);
                    }
                    throw e;
                }
                return discard(old);
            });
            if (garbage != null) {
                FileTrees.deleteQuietly(garbage);
            }
            return stored;
        } catch (IOException e) {
            throw ShrinkException.failed("could not add model '" + id + "' to registry " + home + ": "
                    + e.getMessage(), e);
        }
    }

    /** Records {@code metrics} for {@code task} on model {@code id}, replacing earlier ones for that task. */
    public RegistryEntry updateMetrics(String id, String task, Map<String, Object> metrics) {
        ModelId.validate(id);
        if (task == null || task.isBlank()) {
            throw ShrinkException.usage("metrics need a task name");
        }
        try {
            return locked(() -> {
                RegistryEntry updated = read(id).withMetrics(task, metrics);
                writeJson(entryFile(id), updated);
                return updated;
            });
        } catch (IOException e) {
            throw ShrinkException.failed("could not update metrics of model '" + id + "' in registry " + home
                    + ": " + e.getMessage(), e);
        }
    }

    /** Removes model {@code id}; its directory may hold a corrupt entry or none. */
    public void remove(String id) {
        ModelId.validate(id);
        try {
            Path garbage = locked(() -> {
                Path target = models.resolve(id);
                if (!Files.isDirectory(target)) {
                    throw missing(id);
                }
                Path old = stagingPath(GARBAGE_PREFIX, id);
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
                return old;
            });
            FileTrees.deleteQuietly(garbage);
        } catch (IOException e) {
            throw ShrinkException.failed("could not remove model '" + id + "' from registry " + home + ": "
                    + e.getMessage(), e);
        }
    }

    /** Lower-case hex SHA-256 of a file's content. */
    public static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchFileException e) {
            throw ShrinkException.corrupt("no such file: " + file, e);
        } catch (IOException e) {
            throw ShrinkException.corrupt("could not read " + file + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    private Path entryFile(String id) {
        return models.resolve(id).resolve(ENTRY_FILE);
    }

    private RegistryEntry read(String id) {
        Path file = entryFile(id);
        if (!Files.isRegularFile(file)) {
            if (Files.isDirectory(models.resolve(id))) {
                throw ShrinkException.corrupt("model '" + id + "' in registry " + home + " has no " + ENTRY_FILE
                        + " (" + file + "); remove it with 'shrink models rm " + id + "'");
            }
            throw missing(id);
        }
        RegistryEntry entry;
        try {
            entry = JSON.readValue(file.toFile(), RegistryEntry.class);
        } catch (JsonProcessingException e) {
            throw corruptEntry(file, id, e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw corruptEntry(file, id, e.getMessage(), e);
        }
        if (entry == null) {
            throw corruptEntry(file, id, "it is empty", null);
        }
        if (entry.schemaVersion() != RegistryEntry.SCHEMA_VERSION) {
            throw corruptEntry(file, id, "schemaVersion " + entry.schemaVersion() + " (this shrink reads "
                    + RegistryEntry.SCHEMA_VERSION + ")", null);
        }
        if (!id.equals(entry.id())) {
            throw corruptEntry(file, id, "it names model '" + entry.id() + "'", null);
        }
        List<String> absent = new ArrayList<>();
        if (entry.config() == null) {
            absent.add("config");
        }
        if (entry.head() == null) {
            absent.add("head");
        }
        if (entry.tokenizer() == null) {
            absent.add("tokenizer");
        }
        if (!absent.isEmpty()) {
            throw corruptEntry(file, id, "it has no " + String.join(", ", absent), null);
        }
        try {
            entry.config().validate();
        } catch (ShrinkException e) {
            throw corruptEntry(file, id, e.getMessage(), e);
        }
        return entry;
    }

    private ShrinkException corruptEntry(Path file, String id, String why, Throwable cause) {
        String message = "corrupt registry entry " + file + ": " + why + "; remove the model with 'shrink models rm "
                + id + "'";
        return cause == null ? ShrinkException.corrupt(message) : ShrinkException.corrupt(message, cause);
    }

    private ShrinkException missing(String id) {
        return ShrinkException.corrupt("no model '" + id + "' in registry " + home + "; see 'shrink models list'");
    }

    private static ShrinkException alreadyExists(String id) {
        return ShrinkException.usage("model '" + id + "' already exists; use --force to replace it");
    }

    private Path stagingPath(String prefix, String id) throws IOException {
        Files.createDirectories(staging);
        return staging.resolve(prefix + id + "-" + UUID.randomUUID());
    }

    /**
     * Renames the old model {@code trash} of a finished replace to a {@code removed-} name, so that nothing can
     * restore it, and returns that path to delete once the lock is released; if the rename fails, the trash stays
     * for the next lock holder to delete (its model directory exists) and null is returned.
     */
    private Path discard(Path trash) {
        Path garbage = staging.resolve(GARBAGE_PREFIX + trash.getFileName().toString()
                .substring(TRASH_PREFIX.length()));
        try {
            Files.move(trash, garbage, StandardCopyOption.ATOMIC_MOVE);
            return garbage;
        } catch (IOException e) {
            return null;
        }
    }

    /** The model id in a {@code trash-<id>-<uuid>} name, or null when the name is not of that form. */
    private static String trashedId(String name) {
        int dash = name.length() - UUID_LENGTH - 1;
        if (!name.startsWith(TRASH_PREFIX) || dash <= TRASH_PREFIX.length() || name.charAt(dash) != '-') {
            return null;
        }
        try {
            UUID.fromString(name.substring(dash + 1));
        } catch (IllegalArgumentException e) {
            return null;
        }
        String id = name.substring(TRASH_PREFIX.length(), dash);
        return ModelId.isValid(id) ? id : null;
    }

    private static void writeJson(Path file, Object value) throws IOException {
        AtomicFiles.write(file, JSON.writeValueAsBytes(value));
    }

    private static long sizeOf(Path dir) throws IOException {
        AtomicLong total = new AtomicLong();
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isRegularFile()) {
                    total.addAndGet(attrs.size());
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return total.get();
    }

    /** An action run under the registry lock. */
    @FunctionalInterface
    private interface LockedAction<T> {
        T run() throws IOException;
    }

    private <T> T locked(LockedAction<T> action) throws IOException {
        Files.createDirectories(home);
        ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(home.toRealPath(), key -> new ReentrantLock());
        jvmLock.lock();
        try {
            if (jvmLock.getHoldCount() > 1) {
                return action.run();
            }
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
                 FileLock ignored = channel.lock()) {
                Files.createDirectories(models);
                cleanStaging();
                return action.run();
            }
        } finally {
            jvmLock.unlock();
        }
    }

    /** A staging directory held in use by this process until closed; closing deletes what is left of it. */
    private record Staged(Path dir, Path lock, FileChannel channel) implements AutoCloseable {

        @Override
        public void close() {
            FileTrees.deleteQuietly(dir);
            try {
                channel.close();
            } catch (IOException e) {
                // Closing releases the lock either way; a lock file left behind is cleaned up once stale.
                return;
            } finally {
                FileTrees.deleteQuietly(lock);
                STAGING_IN_USE.remove(dir);
            }
        }
    }

    /**
     * A new staging directory, its lock file locked first: so a staging directory whose lock file exists but is not
     * locked belongs to a process that is gone (its lock died with it) and {@link #cleanStaging} deletes it at once.
     */
    private Staged stage(String prefix) throws IOException {
        Files.createDirectories(staging);
        Path dir = staging.resolve(prefix + UUID.randomUUID());
        STAGING_IN_USE.add(dir);
        Path lock = dir.resolveSibling(dir.getFileName() + LOCK_SUFFIX);
        FileChannel channel = null;
        try {
            channel = FileChannel.open(lock, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            channel.lock();
            Files.createDirectory(dir);
            return new Staged(dir, lock, channel);
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close();
            }
            FileTrees.deleteQuietly(dir);
            Files.deleteIfExists(lock);
            STAGING_IN_USE.remove(dir);
            throw e;
        }
    }

    private void cleanStaging() throws IOException {
        if (!Files.isDirectory(staging)) {
            return;
        }
        List<Path> children;
        try (Stream<Path> stream = Files.list(staging)) {
            children = stream.toList();
        }
        Instant cutoff = Instant.now().minus(STALE_AFTER);
        for (Path child : children) {
            String name = child.getFileName().toString();
            if (name.startsWith(TRASH_PREFIX)) {
                restoreOrDelete(child, trashedId(name));
            } else if (name.startsWith(GARBAGE_PREFIX)) {
                FileTrees.deleteQuietly(child);
            } else if (name.endsWith(LOCK_SUFFIX)) {
                Path dir = child.resolveSibling(name.substring(0, name.length() - LOCK_SUFFIX.length()));
                if (!Files.exists(dir)) {
                    cleanUnlessInUse(dir, child);
                }
            } else if (Files.exists(child.resolveSibling(name + LOCK_SUFFIX)) || isStale(child, cutoff)) {
                cleanUnlessInUse(child, child.resolveSibling(name + LOCK_SUFFIX));
            }
        }
    }

    /**
     * Moves the old model {@code trash} back to {@code models/<id>} when that is missing (a replace stopped between
     * its two moves), and deletes it when the model is in place. Trash whose id is unknown, or that cannot be moved
     * back, is left alone: it may be the only copy of a model.
     */
    private void restoreOrDelete(Path trash, String id) {
        if (id == null) {
            return;
        }
        Path target = models.resolve(id);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            FileTrees.deleteQuietly(trash);
            return;
        }
        try {
            Files.move(trash, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // Keep the trash: a later lock holder tries again, and it is never deleted while its model is missing.
            return;
        }
    }

    private static boolean isStale(Path path, Instant cutoff) {
        try {
            return Files.getLastModifiedTime(path).toInstant().isBefore(cutoff);
        } catch (IOException e) {
            return false;
        }
    }

    private static void cleanUnlessInUse(Path dir, Path lock) {
        if (STAGING_IN_USE.contains(dir)) {
            return;
        }
        if (!Files.exists(lock)) {
            FileTrees.deleteQuietly(dir);
            return;
        }
        try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.WRITE)) {
            FileLock held = channel.tryLock();
            if (held == null) {
                return;
            }
            FileTrees.deleteQuietly(dir);
            Files.deleteIfExists(lock);
        } catch (IOException | OverlappingFileLockException e) {
            // In use or unreadable: leave it for a later lock holder.
            return;
        }
    }
}
