package io.shrink.core.distill;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.shrink.core.ShrinkException;
import io.shrink.core.util.Json;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LossWeightsTest {
    /** ce, mlm, cosine, hiddenMse, attention, hard, temperature; ceMaskedOnly false. */
    static LossWeights w(double ce, double mlm, double cos, double hid, double att, double hard, double t) {
        return new LossWeights(ce, mlm, cos, hid, att, hard, t, false);
    }

    static ShrinkException invalid(LossWeights w, boolean general) {
        ShrinkException e = assertThrows(ShrinkException.class, () -> w.validate(general), w.toString());
        assertEquals(ShrinkException.Kind.USAGE, e.kind(), "a usage error (exit code 2): " + e.getMessage());
        return e;
    }

    static void assertContains(String expected, String message) {
        assertTrue(message.contains(expected), "expected '" + expected + "' in: " + message);
    }

    @Test
    void generalDefaultsAreDistilBertsReleasedRecipe() {
        // Sanh et al. 2019 / transformers' examples/research_projects/distillation: alpha_ce 5.0, alpha_mlm 2.0,
        // alpha_cos 1.0, temperature 2.0
        LossWeights g = LossWeights.GENERAL;
        assertEquals(5.0, g.ce());
        assertEquals(2.0, g.mlm());
        assertEquals(1.0, g.cosine());
        assertEquals(0.0, g.hiddenMse());
        assertEquals(0.0, g.attention());
        assertEquals(0.0, g.hard());
        assertEquals(2.0, g.temperature());
        assertFalse(g.ceMaskedOnly());
        assertSame(g, g.validate(true));
        assertTrue(g.needsTeacherStates(), "the cosine term needs the teacher's hidden states");
    }

    @Test
    void taskDefaults() {
        LossWeights t = LossWeights.TASK;
        assertEquals(0.5, t.ce());
        assertEquals(0.0, t.mlm());
        assertEquals(0.0, t.cosine());
        assertEquals(0.0, t.hiddenMse());
        assertEquals(0.0, t.attention());
        assertEquals(0.5, t.hard());
        assertEquals(2.0, t.temperature());
        assertFalse(t.ceMaskedOnly());
        assertSame(t, t.validate(false));
        assertFalse(t.needsTeacherStates(), "soft targets alone come from the cache");
    }

    @Test
    void resolveReplacesOnlyGivenValues() {
        assertEquals(LossWeights.GENERAL, LossWeights.resolve(true, Map.of(), null, false, null));
        assertEquals(LossWeights.TASK, LossWeights.resolve(false, Map.of(), null, false, null));

        assertEquals(new LossWeights(1.5, 2.0, 1.0, 0, 0, 0, 4.0, true),
                LossWeights.resolve(true, Map.of(LossTerm.CE, 1.5), 4.0, true, null));
        assertEquals(new LossWeights(5.0, 0.0, 1.0, 0.25, 0, 0, 2.0, false),
                LossWeights.resolve(true, Map.of(LossTerm.MLM, 0.0, LossTerm.HIDDEN_MSE, 0.25), null, false, null));
        assertEquals(new LossWeights(0.5, 0, 3.0, 0, 0.75, 0.1, 2.0, false),
                LossWeights.resolve(false,
                        Map.of(LossTerm.COSINE, 3.0, LossTerm.ATTENTION, 0.75, LossTerm.HARD, 0.1), null, false, null));
        // an explicit value equal to the other mode's default is still taken
        assertEquals(new LossWeights(0.5, 0, 0, 0, 0, 0.5, 1.0, false),
                LossWeights.resolve(false, Map.of(), 1.0, false, null));
    }

    @Test
    void validAlternativesPass() {
        LossWeights tinyBert = w(0, 1.0, 0, 1.0, 1.0, 0, 1.0);
        assertSame(tinyBert, tinyBert.validate(true));
        LossWeights ceOnlyTask = w(1.0, 0, 0, 0, 0, 0, 0.5);
        assertSame(ceOnlyTask, ceOnlyTask.validate(false));
        LossWeights hardOnly = w(0, 0, 0, 0, 0, 1.0, 2.0);
        assertSame(hardOnly, hardOnly.validate(false));
        LossWeights states = w(0, 0, 1.0, 0, 0, 0, 2.0);
        assertSame(states, states.validate(false));
        LossWeights tinyTemperature = w(1.0, 0, 0, 0, 0, 0, 1e-3);
        assertSame(tinyTemperature, tinyTemperature.validate(false));
    }

    @Test
    void rejectsNegativeNanAndInfiniteWeights() {
        double[] bad = {-0.5, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
        for (double b : bad) {
            for (int term = 0; term < 6; term++) {
                double[] v = {1.0, 0, 0, 0, 0, 0};
                v[term] = b;
                // term 1 (mlm) in general mode, the others in task mode, so no other rule fires
                boolean general = term == 1;
                if (general) {
                    v[0] = 5.0;
                }
                LossWeights lw = w(v[0], v[1], v[2], v[3], v[4], v[5], 2.0);
                assertContains("loss weights must be finite and >= 0", invalid(lw, general).getMessage());
            }
        }
    }

    @Test
    void rejectsTemperaturesThatAreNotPositive() {
        for (double t : new double[] {0.0, -0.0, -1.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            ShrinkException e = invalid(w(0.5, 0, 0, 0, 0, 0.5, t), false);
            assertContains("temperature " + t + " (expected > 0)", e.getMessage());
            invalid(w(5.0, 2.0, 1.0, 0, 0, 0, t), true);
        }
    }

    @Test
    void rejectsAllZeroWeights() {
        assertContains("every loss weight is 0", invalid(w(0, 0, 0, 0, 0, 0, 2.0), true).getMessage());
        assertContains("every loss weight is 0", invalid(w(0, 0, 0, 0, 0, 0, 2.0), false).getMessage());
        assertContains("every loss weight is 0",
                invalid(LossWeights.resolve(false, Map.of(LossTerm.CE, 0.0, LossTerm.HARD, 0.0), null, false, null), false).getMessage());
    }

    @Test
    void hardLabelsOnlyInTaskModeAndMaskedLmOnlyInGeneralMode() {
        ShrinkException hard = invalid(w(5.0, 2.0, 1.0, 0, 0, 0.5, 2.0), true);
        assertContains("--alpha-hard", hard.getMessage());
        ShrinkException mlm = invalid(w(0.5, 1.0, 0, 0, 0, 0.5, 2.0), false);
        assertContains("--alpha-mlm", mlm.getMessage());
        // the same weights are fine in the other mode
        w(0.5, 0, 0, 0, 0, 0.5, 2.0).validate(false);
        w(5.0, 2.0, 1.0, 0, 0, 0, 2.0).validate(true);
    }

    @Test
    void usageErrorListsEveryProblem() {
        ShrinkException e = invalid(w(-1.0, 2.0, 0, 0, 0, 0, 0.0), false);
        String m = e.getMessage();
        assertTrue(m.startsWith("invalid distillation losses: "), m);
        assertContains("loss weights must be finite and >= 0", m);
        assertContains("temperature 0.0 (expected > 0)", m);
        assertContains("--alpha-mlm", m);
        // the weight rule is reported once even when several weights are bad
        assertEquals(m.indexOf("finite and >= 0"), m.lastIndexOf("finite and >= 0"), m);
    }

    @Test
    void describeNamesEachActiveTerm() {
        assertEquals("soft-target CE 5.00 (T=2.0, x T^2), masked-LM 2.00, cosine 1.00", LossWeights.GENERAL.describe());
        assertEquals("soft-target CE 0.50 (T=2.0, x T^2), hard-label 0.50", LossWeights.TASK.describe());
        assertEquals("teacher-score MSE 0.50, gold-score MSE 0.50", LossWeights.TASK.describe(true), "STS-B: no temperature");
        assertEquals("teacher-mse", LossWeights.softTermName(true), "STS-B progress names the term it computes");
        assertEquals("ce", LossWeights.softTermName(false));
        assertEquals("soft-target CE 1.00 (T=4.0, x T^2, masked positions only), hidden MSE 0.30, attention KL 0.70",
                new LossWeights(1.0, 0, 0, 0.3, 0.7, 0, 4.0, true).describe());
        assertEquals("masked-LM 2.00, cosine 1.00", w(0, 2.0, 1.0, 0, 0, 0, 2.0).describe(), "CE off: no CE or T");
        String all = new LossWeights(1, 1, 1, 1, 1, 1, 1, false).describe();
        for (String term : new String[] {"soft-target CE", "masked-LM", "cosine", "hidden MSE", "attention KL", "hard-label"}) {
            assertContains(term, all);
        }
    }

    @Test
    void needsTeacherStatesForStateTermsOnly() {
        assertFalse(w(1, 0, 0, 0, 0, 1, 2).needsTeacherStates());
        assertTrue(w(1, 0, 0.1, 0, 0, 0, 2).needsTeacherStates());
        assertTrue(w(1, 0, 0, 0.1, 0, 0, 2).needsTeacherStates());
        assertTrue(w(1, 0, 0, 0, 0.1, 0, 2).needsTeacherStates());
    }

    @Test
    void serialisesInDeclaredOrder() throws JsonProcessingException {
        // the order the lineage and results record
        assertEquals("{\"ce\":5.0,\"mlm\":2.0,\"cosine\":1.0,\"cosineLayers\":\"last\",\"hiddenMse\":0.0,\"attention\":0.0,\"hard\":0.0,"
                + "\"temperature\":2.0,\"ceMaskedOnly\":false}", Json.COMPACT.writeValueAsString(LossWeights.GENERAL));
    }

    @Test
    void eachTermNamesItsJsonKeyAndWeight() throws JsonProcessingException {
        LossWeights w = w(1, 2, 3, 4, 5, 6, 2.0);
        var json = Json.COMPACT.readTree(Json.COMPACT.writeValueAsString(w));
        for (LossTerm term : LossTerm.values()) {
            assertEquals(json.get(term.key()).asDouble(), w.weight(term), term.key());
            assertEquals(term.defaultWeight(true), LossWeights.GENERAL.weight(term), term.key());
            assertEquals(term.defaultWeight(false), LossWeights.TASK.weight(term), term.key());
            assertTrue(term.option().startsWith("--alpha-"), term.option());
        }
        assertFalse(LossTerm.MLM.appliesTo(false));
        assertFalse(LossTerm.HARD.appliesTo(true));
        assertTrue(LossTerm.CE.appliesTo(true) && LossTerm.CE.appliesTo(false));
    }
}
