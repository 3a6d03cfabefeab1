package io.shrink.core;

/**
 * The one exception type the library throws for problems a user can act on. Its {@link Kind}
 * tells the command line which documented exit code to use; its message is a single line that
 * says what was wrong, where, and what to do.
 */
public class ShrinkException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What went wrong, in the terms of the exit codes the command line documents. */
    public enum Kind {
        /** The run itself failed (exit code 1). */
        FAILED,
        /** A bad option, argument, id or recipe (exit code 2). */
        USAGE,
        /** A model, checkpoint or data file is missing, truncated or inconsistent (exit code 3). */
        MISSING_OR_CORRUPT
    }

    private final Kind kind;

    /** An error of the given kind with a one-line message. */
    public ShrinkException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    /** An error of the given kind with a one-line message and the low-level cause. */
    public ShrinkException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    /** A missing or corrupt model, checkpoint or data file. */
    public static ShrinkException corrupt(String message) {
        return new ShrinkException(Kind.MISSING_OR_CORRUPT, message);
    }

    /** A missing or corrupt model, checkpoint or data file, with the low-level cause. */
    public static ShrinkException corrupt(String message, Throwable cause) {
        return new ShrinkException(Kind.MISSING_OR_CORRUPT, message, cause);
    }

    /** A usage error: bad option, argument or id. */
    public static ShrinkException usage(String message) {
        return new ShrinkException(Kind.USAGE, message);
    }

    /**
     * A usage error for an option outside its range, in the one form the command line uses for every option:
     * {@code --max-length must be between 8 and 512 (model 'm' has 512 positions), not 1000}.
     */
    public static ShrinkException outOfRange(String option, String range, Object value) {
        return usage(option + " must be " + range + ", not " + value);
    }

    /** A failed run. */
    public static ShrinkException failed(String message, Throwable cause) {
        return new ShrinkException(Kind.FAILED, message, cause);
    }

    /** What kind of problem this is (it decides the exit code). */
    public Kind kind() {
        return kind;
    }
}
