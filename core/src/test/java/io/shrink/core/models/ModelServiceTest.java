package io.shrink.core.models;

import io.shrink.core.ShrinkException;
import io.shrink.core.TinyModels;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.checkpoint.hf.HfLayout;
import io.shrink.core.infer.Prediction;
import io.shrink.core.model.HeadConfig;
import io.shrink.core.registry.RegistryEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class ModelServiceTest {
    @TempDir
    Path tmp;

    @Test
    void importExportImportIsBitExact() throws IOException {
        ModelService svc = new ModelService(tmp.resolve("home"));
        Checkpoint original = TinyModels.model(TinyModels.distilbert(), TinyModels.classifier("pre_classifier"), 11);
        Path hf = tmp.resolve("hf");
        HfLayout.write(original, hf);
        RegistryEntry first = svc.importModel(hf.toString(), "tiny-distil", false, false);
        assertEquals(original.contentHash(), first.contentSha256());
        assertEquals(original.parameterCount(), first.parameters());
        assertEquals("distilbert", first.family());
        assertEquals("models import", first.producedBy().command());
        assertTrue(first.bytesOnDisk() > 4 * original.parameterCount());

        Path exported = svc.export("tiny-distil", tmp.resolve("out"), false);
        RegistryEntry second = svc.importModel(exported.toString(), "tiny-distil-2", false, false);
        assertEquals(first.contentSha256(), second.contentSha256(), "export then import is bit-exact");
        assertEquals(first.config(), second.config());
        assertEquals(first.head(), second.head());

        ShrinkException exists = assertThrows(ShrinkException.class, () -> svc.export("tiny-distil", exported, false));
        assertEquals(ShrinkException.Kind.USAGE, exists.kind());
        Files.writeString(exported.resolve("special_tokens_map.json"), "{}");
        svc.export("tiny-distil", exported, true);
        assertFalse(Files.exists(exported.resolve("special_tokens_map.json")), "--force replaces the whole directory");
        assertTrue(Files.isRegularFile(exported.resolve("model.safetensors")));
    }

    @Test
    void onnxExportOfAnInt8RegistryModel() throws IOException {
        ModelService svc = new ModelService(tmp.resolve("home"));
        Checkpoint int8 = TinyModels.int8Linears(TinyModels.model(TinyModels.bert(), TinyModels.classifier("pooler"), 5));
        svc.add(int8, "tiny-int8", false, null, new RegistryEntry.Lineage("test", "TinyModels", Map.of(), null));
        Path out = tmp.resolve("exports").resolve("onnx");
        ExportResult r = svc.export("tiny-int8", out, false, ExportFormat.ONNX);
        assertEquals(out.toAbsolutePath().normalize(), r.dir());
        assertEquals(ExportFormat.ONNX, r.format());
        assertTrue(r.detail().startsWith("14 of 14 linears int8"), r.detail());
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(List.of("model.onnx", "tokenizer.json", "vocab.txt"),
                    files.map(f -> f.getFileName().toString()).sorted().toList());
        }
        try (Stream<Path> siblings = Files.list(out.getParent())) {
            assertEquals(List.of("onnx"), siblings.map(f -> f.getFileName().toString()).toList(), "no staging left");
        }
        assertEquals("", svc.export("tiny-int8", tmp.resolve("hf"), false, ExportFormat.HF).detail());
    }

    @Test
    void onnxExportRefusesBadTargetsAndWritesNothing() throws IOException {
        ModelService svc = new ModelService(tmp.resolve("home"));
        svc.add(TinyModels.model(TinyModels.distilbert(), HeadConfig.none(), 6), "tiny", false, null,
                new RegistryEntry.Lineage("test", "TinyModels", Map.of(), null));
        Path taken = Files.createDirectories(tmp.resolve("taken"));
        Files.writeString(taken.resolve("keep.txt"), "mine");
        ShrinkException exists = assertThrows(ShrinkException.class,
                () -> svc.export("tiny", taken, false, ExportFormat.ONNX));
        assertEquals(ShrinkException.Kind.USAGE, exists.kind());
        assertTrue(exists.getMessage().contains("--force") && !exists.getMessage().contains("\n"), exists.getMessage());
        assertEquals(List.of("keep.txt"), names(taken));

        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        ShrinkException underFile = assertThrows(ShrinkException.class,
                () -> svc.export("tiny", file.resolve("sub").resolve("out"), false, ExportFormat.ONNX));
        assertEquals(ShrinkException.Kind.USAGE, underFile.kind());
        assertTrue(underFile.getMessage().contains(file + " is a file"), underFile.getMessage());
        assertEquals("x", Files.readString(file));

        ShrinkException missing = assertThrows(ShrinkException.class,
                () -> svc.export("no-such-model", tmp.resolve("fresh"), false, ExportFormat.ONNX));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, missing.kind());
        assertFalse(Files.exists(tmp.resolve("fresh")));
        assertEquals(List.of("a-file", "home", "taken"), names(tmp), "no staging directories left behind");

        svc.export("tiny", taken, true, ExportFormat.ONNX);
        assertEquals(List.of("model.onnx", "tokenizer.json", "vocab.txt"), names(taken), "--force replaces the whole directory");
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void exportedDirectoryIsReadableByOthers() throws IOException {
        assumeTrue(Files.getFileAttributeView(tmp, PosixFileAttributeView.class) != null, "POSIX permissions");
        Path probe = Files.createFile(tmp.resolve("umask-probe"));
        assumeTrue(PosixFilePermissions.toString(Files.getPosixFilePermissions(probe)).equals("rw-r--r--"),
                "umask 022");
        ModelService svc = new ModelService(tmp.resolve("home"));
        Path hf = tmp.resolve("hf");
        HfLayout.write(TinyModels.model(TinyModels.bert(), HeadConfig.mlm(), 3), hf);
        svc.importModel(hf.toString(), "tiny", false, false);

        Path exported = svc.export("tiny", tmp.resolve("out"), false);
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(exported)));
        try (Stream<Path> files = Files.list(exported)) {
            for (Path f : files.toList()) {
                assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)),
                        f.toString());
            }
        }
    }

    @Test
    void corruptImportLeavesNothingInTheRegistry() throws IOException {
        Path home = tmp.resolve("home");
        ModelService svc = new ModelService(home);
        Path hf = tmp.resolve("bad");
        HfLayout.write(TinyModels.model(TinyModels.bert(), HeadConfig.mlm(), 1), hf);
        byte[] weights = Files.readAllBytes(hf.resolve("model.safetensors"));
        Files.write(hf.resolve("model.safetensors"), java.util.Arrays.copyOf(weights, weights.length / 2));
        ShrinkException e = assertThrows(ShrinkException.class, () -> svc.importModel(hf.toString(), "bad", false, false));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind());
        assertFalse(svc.registry().exists("bad"));
        assertTrue(svc.list().isEmpty());
        if (Files.isDirectory(home.resolve(".staging"))) {
            try (Stream<Path> s = Files.list(home.resolve(".staging"))) {
                assertTrue(s.noneMatch(Files::isDirectory), "no staging directory left");
            }
        }
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT,
                assertThrows(ShrinkException.class, () -> svc.importModel(tmp.resolve("absent").toString(), "x", false, false)).kind());
        assertEquals(ShrinkException.Kind.USAGE,
                assertThrows(ShrinkException.class, () -> svc.importModel(hf.toString(), "../evil", false, false)).kind());
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT,
                assertThrows(ShrinkException.class, () -> svc.show("nope")).kind());
    }

    /** Weights that are NaN or absurd are refused at import (every format goes through one check) and at load. */
    @Test
    void nonFiniteWeightsAreCorruptAtImportAndLoad() throws IOException {
        ModelService svc = new ModelService(tmp.resolve("home"));
        Checkpoint good = TinyModels.model(TinyModels.bert(), HeadConfig.mlm(), 1);
        java.util.Map<String, io.shrink.core.tensor.FloatTensor> t = new java.util.LinkedHashMap<>(good.tensors());
        io.shrink.core.tensor.FloatTensor ln = t.get("embeddings.LayerNorm.weight");
        float[] data = ln.data().clone();
        data[5] = 1e30f;
        t.put(ln.name(), new io.shrink.core.tensor.FloatTensor(ln.name(), ln.shape(), data));
        Checkpoint bad = new Checkpoint(good.config(), good.head(), t, good.tokenizer());
        Path hf = tmp.resolve("huge");
        HfLayout.write(bad, hf);
        ShrinkException e = assertThrows(ShrinkException.class, () -> svc.importModel(hf.toString(), "huge", false, false));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind());
        assertTrue(e.getMessage().contains("tensor embeddings.LayerNorm.weight [32] at index 5 is 1.0E30"), e.getMessage());
        assertFalse(svc.registry().exists("huge"));

        svc.add(bad, "stored", false, null, new RegistryEntry.Lineage("test", "test", java.util.Map.of(), null));
        e = assertThrows(ShrinkException.class, () -> svc.predict("stored", List.of("the [MASK] sat"), 1));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind());
        assertTrue(e.getMessage().startsWith("model 'stored' in registry ") && e.getMessage().contains("embeddings.LayerNorm.weight")
                && e.getMessage().endsWith("remove it with 'shrink models rm stored' and import or train it again"), e.getMessage());
    }

    @Test
    void exportUnderAFileNamesTheFile() throws IOException {
        ModelService svc = new ModelService(tmp.resolve("home"));
        svc.add(TinyModels.model(TinyModels.bert(), HeadConfig.mlm(), 1), "m", false, null,
                new RegistryEntry.Lineage("test", "test", java.util.Map.of(), null));
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        ShrinkException e = assertThrows(ShrinkException.class, () -> svc.export("m", file.resolve("sub/out"), false));
        assertEquals(ShrinkException.Kind.USAGE, e.kind());
        assertTrue(e.getMessage().endsWith(": " + file + " is a file, not a folder; name a folder"), e.getMessage());
    }

    @Test
    void predictsForEveryHead() throws IOException {
        ModelService svc = new ModelService(tmp.resolve("home"));
        int i = 0;
        for (HeadConfig head : List.of(HeadConfig.mlm(), TinyModels.classifier("pooler"),
                new HeadConfig("regression", "pooler", List.of("score")), new HeadConfig("qa", null, List.of()),
                HeadConfig.none())) {
            Path hf = tmp.resolve("m" + i);
            HfLayout.write(TinyModels.model(TinyModels.bert(), head, i), hf);
            svc.importModel(hf.toString(), "m" + i, false, false);
            i++;
        }
        Prediction mask = svc.predict("m0", List.of("the cat sat on the [MASK] ."), 3).get(0);
        assertEquals(3, mask.masks().get(0).size());
        Prediction cls = svc.predict("m1", List.of("a good movie"), 1).get(0);
        assertEquals(List.of("negative", "positive"), cls.labels().stream().map(Prediction.Candidate::token).sorted().toList());
        assertEquals(1.0, cls.labels().stream().mapToDouble(Prediction.Candidate::score).sum(), 1e-5);
        assertTrue(Double.isFinite(svc.predict("m2", List.of("the cat ||| the dog"), 1).get(0).value()));
        Prediction qa = svc.predict("m3", List.of("where is the cat ? ||| the cat sat on the mat ."), 1).get(0);
        assertTrue("the cat sat on the mat .".contains(qa.answer().text()), qa.answer().text());
        assertEquals(qa.answer().text(), "the cat sat on the mat .".substring(qa.answer().start(), qa.answer().end()));
        Prediction emb = svc.predict("m4", List.of("paris"), 1).get(0);
        assertEquals(32, emb.embedding().dimensions());
        assertNull(emb.masks());
        assertEquals(ShrinkException.Kind.USAGE,
                assertThrows(ShrinkException.class, () -> svc.predict("m0", List.of("no mask here"), 1)).kind());
    }
}
