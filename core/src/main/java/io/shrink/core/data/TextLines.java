package io.shrink.core.data;

import io.shrink.core.ShrinkException;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads a data file line by line as strict UTF-8, so that every error can name its file and line: invalid
 * bytes are reported rather than replaced, a byte-order mark at the start is dropped, and a line may end in
 * {@code \n} or {@code \r\n}. A line holding a control character that no data file holds ({@link ControlCharacters},
 * NUL above all) is an error too. Gzip files (recognised by their magic bytes) are decompressed on the fly.
 */
final class TextLines implements Closeable {
    private final Path file;
    private final InputStream in;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(256);
    private int lineNumber;
    private boolean eof;

    private TextLines(Path file, InputStream in) {
        this.file = file;
        this.in = in;
    }

    /** Opens {@code file}, decompressing it when it starts with the gzip magic bytes. */
    static TextLines open(Path file) {
        if (!Files.isRegularFile(file)) {
            throw ShrinkException.corrupt(file + ": no such file; check the data directory layout (see glue-data/README.md)");
        }
        try {
            InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            InputStream in = b0 == 0x1f && b1 == 0x8b ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw;
            return new TextLines(file, in);
        } catch (IOException e) {
            throw ShrinkException.corrupt(file + ": cannot open: " + e.getMessage(), e);
        }
    }

    /** The file being read. */
    Path file() {
        return file;
    }

    /** The 1-based number of the line {@link #next()} returned last. */
    int lineNumber() {
        return lineNumber;
    }

    /** {@code file:line: what}, the location prefix every error about the current line uses. */
    ShrinkException error(String what) {
        return ShrinkException.corrupt(file + ":" + lineNumber + ": " + what);
    }

    /** The next line without its terminator, or null at the end of the file. */
    String next() {
        if (eof) {
            return null;
        }
        buffer.reset();
        try {
            int b;
            while ((b = in.read()) != -1 && b != '\n') {
                buffer.write(b);
            }
            if (b == -1) {
                eof = true;
                if (buffer.size() == 0) {
                    return null;
                }
            }
        } catch (IOException e) {
            throw ShrinkException.corrupt(file + ":" + (lineNumber + 1) + ": cannot read: " + e.getMessage(), e);
        }
        lineNumber++;
        byte[] bytes = buffer.toByteArray();
        int length = bytes.length;
        if (length > 0 && bytes[length - 1] == '\r') {
            length--;
        }
        String line = decode(bytes, length);
        if (lineNumber == 1 && line.startsWith("\uFEFF")) {
            line = line.substring(1);
        }
        String control = ControlCharacters.problem(line, "the line");
        if (control != null) {
            throw error(control);
        }
        return line;
    }

    private String decode(byte[] bytes, int length) {
        ByteBuffer bb = ByteBuffer.wrap(bytes, 0, length);
        try {
            CharBuffer chars = decoder.reset().decode(bb);
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw error("invalid UTF-8 near byte " + firstInvalid(bytes, length) + " of the line; re-fetch the file");
        }
    }

    private int firstInvalid(byte[] bytes, int length) {
        CharsetDecoder probe = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer bb = ByteBuffer.wrap(bytes, 0, length);
        probe.decode(bb, CharBuffer.allocate(length + 1), true);
        return bb.position();
    }

    @Override
    public void close() {
        try {
            in.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
