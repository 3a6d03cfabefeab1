package io.shrink.core.compress.quant;

import io.shrink.core.ShrinkException;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.tensor.FloatTensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import static io.shrink.core.model.CanonicalNames.*;

/**
 * Which weight matrices a quantisation method converts, chosen by group (attention, FFN, head, embeddings) and
 * refined by regular expressions over module names such as {@code encoder.layer.3.attention.self.query}:
 * a module is converted when its group is on, it matches {@code include} (when given) and does not match
 * {@code exclude}. Biases and layer norms always stay float32. The query, key and value projections of a layer
 * run as one fused product, so they are converted all three or none. Empty matrices (a pruned layer's) are skipped.
 *
 * @param attention  the query, key, value and attention-output projections
 * @param ffn        the two FFN projections
 * @param head       the pooler and task-head linears (they run on the float view: a size saving only)
 * @param embeddings the word, position and token-type tables and the embedding projection (size only)
 * @param include    a regular expression a module name must contain a match of, or null for all
 * @param exclude    a regular expression no converted module name may contain a match of, or null for none
 */
public record LinearSelection(boolean attention, boolean ffn, boolean head, boolean embeddings, String include,
                              String exclude) {

    /**
     * The weight names to convert, in checkpoint order, or a usage error naming the setting.
     *
     * @param ckpt the model
     */
    public List<String> select(Checkpoint ckpt) {
        Pattern in = compile("include", include);
        Pattern out = compile("exclude", exclude);
        EncoderConfig c = ckpt.config();
        Map<String, Boolean> candidates = new LinkedHashMap<>();
        for (int i = 0; i < c.storedLayers(); i++) {
            for (String m : List.of(query(i), key(i), value(i), attnOut(i))) {
                candidates.put(m, attention);
            }
            for (String m : List.of(ffnIn(i), ffnOut(i))) {
                candidates.put(m, ffn);
            }
        }
        for (String m : List.of(POOLER, PRE_CLASSIFIER, CLASSIFIER, QA, MLM_DENSE)) {
            candidates.put(m, head);
        }
        for (String w : List.of(WORD_EMB, POS_EMB, TYPE_EMB, EMB_PROJ + ".weight")) {
            candidates.put(w.substring(0, w.length() - ".weight".length()), embeddings);
        }
        List<String> chosen = new ArrayList<>();
        for (Map.Entry<String, Boolean> e : candidates.entrySet()) {
            String module = e.getKey();
            FloatTensor t = ckpt.tensors().get(module + ".weight");
            if (t == null || !e.getValue() || t.data().length == 0) {
                continue;
            }
            if ((in == null || in.matcher(module).find()) && (out == null || !out.matcher(module).find())) {
                chosen.add(module + ".weight");
            }
        }
        for (int i = 0; i < c.storedLayers(); i++) {
            long n = List.of(query(i), key(i), value(i)).stream().filter(m -> chosen.contains(m + ".weight")).count();
            if (n != 0 && n != 3) {
                throw ShrinkException.usage("include/exclude select only some of layer " + i + "'s query, key and value; "
                        + "they run as one fused product, so select all three or none");
            }
        }
        if (chosen.isEmpty()) {
            throw ShrinkException.usage("the settings select no weight matrix of this model to convert (attention="
                    + attention + ", ffn=" + ffn + ", head=" + head + ", embeddings=" + embeddings
                    + (include != null ? ", include=" + include : "") + (exclude != null ? ", exclude=" + exclude : "") + ")");
        }
        return chosen;
    }

    /** The settings as a lineage records them. */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("attention", attention);
        m.put("ffn", ffn);
        m.put("head", head);
        m.put("embeddings", embeddings);
        if (include != null) {
            m.put("include", include);
        }
        if (exclude != null) {
            m.put("exclude", exclude);
        }
        return m;
    }

    private static Pattern compile(String setting, String regex) {
        if (regex == null || regex.isBlank()) {
            return null;
        }
        try {
            return Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw ShrinkException.usage("setting " + setting + " is not a regular expression: " + e.getDescription()
                    + " in '" + regex + "'");
        }
    }
}
