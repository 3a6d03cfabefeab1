package io.shrink.core.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.shrink.core.TestData;
import io.shrink.core.PyTorchManagerTest;
import io.shrink.core.TinyModels;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.checkpoint.onnx.OnnxBertImporter;
import io.shrink.core.model.Encoder;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.HeadConfig;
import io.shrink.core.tokenize.Encoding;
import io.shrink.core.tokenize.WordPieceTokenizer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fast TorchScript forward pass against the functional encoder: same last hidden state within 1e-4. */
class FastEncoderTest extends PyTorchManagerTest {
    static List<EncoderConfig> configs() {
        return TinyModels.everyShape();
    }

    @Test
    void matchesTheFunctionalEncoderOnEveryFamilyWithPadding() {
        for (EncoderConfig c : configs()) {
            Checkpoint ckpt = TinyModels.model(c, HeadConfig.none(), 7);
            try (NDManager step = manager.newSubManager();
                 Encoder encoder = Encoder.load(ckpt, step);
                 FastEncoder fast = FastEncoder.load(ckpt, step)) {
                int b = 3;
                int s = 11;
                NDArray[] in = TinyModels.paddedBatch(step, c, 1, 11, 7, 2); // ids, types, mask: (3, 11)
                NDArray tIds = in[0];
                NDArray tTypes = in[1];
                NDArray tMask = in[2];
                float[] expected = encoder.forward(tIds, tTypes, tMask, false, false).lastHidden().toFloatArray();
                NDArray out = fast.forward(tIds, tTypes, tMask); // (b, s, hidden)
                assertEquals(new Shape(b, s, c.hiddenSize()), out.getShape());
                assertClose(expected, out.toFloatArray(), c.family() + " " + c.layerHeads() + " masked");

                float[] unmasked = encoder.forward(tIds, null, null, false, false).lastHidden().toFloatArray();
                assertClose(unmasked, fast.forward(tIds, null, null).toFloatArray(), c.family() + " unmasked");
            }
        }
    }

    @Test
    void preparedCallsRepeatAndRejectTooLongInput() {
        Checkpoint ckpt = TinyModels.model(TinyModels.bert(), HeadConfig.mlm(), 3);
        try (NDManager step = manager.newSubManager(); FastEncoder fast = FastEncoder.load(ckpt, step)) {
            NDArray ids = step.randomInteger(0, 40, new Shape(2, 9), ai.djl.ndarray.types.DataType.INT64);
            try (FastEncoder.Call call = fast.prepare(ids, null, null)) {
                float[] first = call.output().toFloatArray();
                call.run();
                assertArrayEquals(first, call.output().toFloatArray());
            }
            NDArray tooLong = step.zeros(new Shape(1, 65), ai.djl.ndarray.types.DataType.INT64);
            assertThrows(IllegalArgumentException.class, () -> fast.forward(tooLong, null, null));
        }
    }

    @Test
    void scratchBufferGrowsAndNeverAliasesEarlierOutputs() {
        Checkpoint ckpt = TinyModels.model(TinyModels.bert(), HeadConfig.none(), 5);
        try (NDManager step = manager.newSubManager();
             Encoder encoder = Encoder.load(ckpt, step);
             FastEncoder fast = FastEncoder.load(ckpt, step)) {
            NDArray small = step.randomInteger(5, 40, new Shape(1, 4), ai.djl.ndarray.types.DataType.INT64);
            NDArray big = step.randomInteger(5, 40, new Shape(5, 30), ai.djl.ndarray.types.DataType.INT64);
            float[] smallExpected = encoder.forward(small, null, null, false, false).lastHidden().toFloatArray();
            float[] bigExpected = encoder.forward(big, null, null, false, false).lastHidden().toFloatArray();
            NDArray first = fast.forward(small, null, null); // (1, 4, hidden), scratch sized for 4 tokens
            NDArray grown = fast.forward(big, null, null); // (5, 30, hidden), scratch grows to 150 tokens
            NDArray again = fast.forward(small, null, null); // reuses the grown scratch
            assertClose(smallExpected, first.toFloatArray(), "output of the first call after the buffer grew");
            assertClose(bigExpected, grown.toFloatArray(), "grown call");
            assertClose(smallExpected, again.toFloatArray(), "small call on the grown buffer");
        }
    }

    @Test
    void matchesTheFunctionalEncoderOnAllMiniLm() throws Exception {
        Checkpoint ckpt = OnnxBertImporter.importJar(TestData.minilmJar());
        WordPieceTokenizer tok = new WordPieceTokenizer(ckpt.tokenizer());
        List<Encoding> all = new ArrayList<>();
        for (String t : List.of("The quick brown fox jumps over the lazy dog.", "Hello",
                "Distillation keeps 97% of BERT's GLUE score with 40% fewer parameters.")) {
            all.add(tok.encode(t));
        }
        all.add(tok.encode("Where is the Louvre?", "The Louvre is in Paris, on the right bank of the Seine."));
        Encoding[] batch = tok.pad(all, 0);
        int b = batch.length;
        int s = batch[0].length();
        long[] ids = new long[b * s];
        long[] types = new long[b * s];
        long[] mask = new long[b * s];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < s; j++) {
                ids[i * s + j] = batch[i].ids()[j];
                types[i * s + j] = batch[i].typeIds()[j];
                mask[i * s + j] = batch[i].attentionMask()[j];
            }
        }
        try (NDManager step = manager.newSubManager();
             Encoder encoder = Encoder.load(ckpt, step);
             FastEncoder fast = FastEncoder.load(ckpt, step)) {
            NDArray tIds = step.create(ids, new Shape(b, s));
            NDArray tTypes = step.create(types, new Shape(b, s));
            NDArray tMask = step.create(mask, new Shape(b, s));
            float[] expected = encoder.forward(tIds, tTypes, tMask, false, false).lastHidden().toFloatArray();
            assertClose(expected, fast.forward(tIds, tTypes, tMask).toFloatArray(), "all-MiniLM-L6-v2");
        }
    }

    static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(worst <= 1e-4, what + ": max abs difference " + worst + " > 1e-4");
    }
}
