package io.shrink.core.infer;

import io.shrink.core.TestData;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.checkpoint.tf.EasyBertImporter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Google's BERT-base-uncased, imported from Maven Central, fills unambiguous masks correctly. */
class BertBaseFillMaskTest {
    /** Probe and the one right answer; written for this test, each with a single obvious filler. */
    static final List<String[]> PROBES = List.of(
            new String[] {"Paris is the [MASK] of France.", "capital"},
            new String[] {"Tokyo is the capital of [MASK].", "japan"},
            new String[] {"Monday, Tuesday, [MASK], Thursday.", "wednesday"},
            new String[] {"The sun rises in the east and sets in the [MASK].", "west"},
            new String[] {"Water is made of hydrogen and [MASK].", "oxygen"},
            new String[] {"A week has seven [MASK].", "days"},
            new String[] {"I drink a cup of [MASK] every morning.", "coffee"},
            new String[] {"January is the first [MASK] of the year.", "month"},
            new String[] {"Rome is the capital of [MASK].", "italy"},
            new String[] {"The plural of child is [MASK].", "children"});

    @Test
    void fillsAtLeastEightOfTenProbes(@TempDir Path work) {
        Checkpoint bert = EasyBertImporter.importJar(TestData.bertJar(), work);
        int correct = 0;
        StringBuilder report = new StringBuilder();
        try (Predictor p = new Predictor(bert)) {
            for (String[] probe : PROBES) {
                Prediction pred = p.predict(probe[0], 3);
                assertEquals("fill-mask", pred.task());
                String top = pred.masks().get(0).get(0).token();
                if (top.equals(probe[1])) {
                    correct++;
                }
                report.append(String.format("%n  %-55s -> %s (want %s)", probe[0], top, probe[1]));
            }
        }
        System.out.println("BertBaseFillMaskTest: " + correct + "/10 top-1 correct" + report);
        assertTrue(correct >= 8, correct + "/10 probes correct:" + report);
    }
}
