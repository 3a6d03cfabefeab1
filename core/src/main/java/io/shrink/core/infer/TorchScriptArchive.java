package io.shrink.core.infer;

import io.shrink.core.util.Zips;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.ZipOutputStream;

/**
 * Writes a TorchScript archive (what {@code torch.jit.save} produces) for one module class whose methods
 * are given as TorchScript source and that holds no tensors: weights are passed to its methods as
 * arguments. The layout (FACTS §3): a zip of stored entries {@code NAME/version}, {@code NAME/constants.pkl}
 * (an empty tuple), {@code NAME/data.pkl} (the module object with state {@code {training: True}}) and
 * {@code NAME/code/__torch__.py} (the source, compiled by libtorch when the archive is loaded).
 */
public final class TorchScriptArchive {
    /** Archive format version written; libtorch 2.x still reads it. */
    static final String FORMAT_VERSION = "3";

    private TorchScriptArchive() {
    }

    /**
     * The archive bytes.
     *
     * @param archiveName top-level folder name inside the zip
     * @param className   the module class defined in {@code source} (in the {@code __torch__} namespace)
     * @param source      TorchScript source of {@code code/__torch__.py}, defining {@code className(Module)}
     */
    public static byte[] write(String archiveName, String className, String source) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            Zips.putStored(zip, archiveName + "/version", (FORMAT_VERSION + "\n").getBytes(StandardCharsets.US_ASCII));
            Zips.putStored(zip, archiveName + "/constants.pkl", emptyTuplePickle());
            Zips.putStored(zip, archiveName + "/data.pkl", modulePickle(className));
            Zips.putStored(zip, archiveName + "/code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Pickle protocol 2 of {@code ()}. */
    static byte[] emptyTuplePickle() {
        return new byte[] {(byte) 0x80, 2, ')', '.'};
    }

    /**
     * Pickle protocol 2 of a {@code __torch__.CLASS} object built from no arguments with state
     * {@code {"training": True}}: PROTO, GLOBAL, EMPTY_TUPLE, NEWOBJ, EMPTY_DICT, MARK, BINUNICODE, NEWTRUE,
     * SETITEMS, BUILD, STOP.
     */
    static byte[] modulePickle(String className) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(0x80);
        p.write(2);
        p.write('c');
        p.writeBytes(("__torch__\n" + className + "\n").getBytes(StandardCharsets.US_ASCII));
        p.write(')');
        p.write(0x81);
        p.write('}');
        p.write('(');
        byte[] key = "training".getBytes(StandardCharsets.US_ASCII);
        p.write('X');
        p.write(key.length);
        p.write(0);
        p.write(0);
        p.write(0);
        p.writeBytes(key);
        p.write(0x88);
        p.write('u');
        p.write('b');
        p.write('.');
        return p.toByteArray();
    }
}
