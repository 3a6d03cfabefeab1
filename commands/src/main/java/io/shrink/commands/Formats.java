package io.shrink.commands;

import io.shrink.core.registry.RegistryEntry;
import io.shrink.core.model.EncoderConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Human-readable numbers and model descriptions for terminal output. */
final class Formats {
    private Formats() {
    }

    static String count(long n) {
        if (n >= 1_000_000) {
            return String.format(Locale.ROOT, "%.1fM", n / 1e6);
        }
        if (n >= 1_000) {
            return String.format(Locale.ROOT, "%.1fk", n / 1e3);
        }
        return Long.toString(n);
    }

    static String bytes(long n) {
        if (n >= 1L << 30) {
            return String.format(Locale.ROOT, "%.2f GiB", n / (double) (1L << 30));
        }
        if (n >= 1L << 20) {
            return String.format(Locale.ROOT, "%.1f MiB", n / (double) (1L << 20));
        }
        return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
    }

    /** A result's metrics, one per line, with intervals where present, then where the result was written. */
    static List<String> metrics(io.shrink.core.results.RunResult r) {
        List<String> l = new ArrayList<>();
        r.metrics().forEach((name, m) -> l.add(String.format(Locale.ROOT, "  %-28s %.4f%s", name, m.value(),
                m.ciLow() == null ? "" : String.format(Locale.ROOT, "  [%.4f, %.4f]", m.ciLow(), m.ciHigh()))));
        l.add("run " + r.runId());
        return l;
    }

    static List<String> describe(RegistryEntry e) {
        EncoderConfig c = e.config();
        List<String> l = new ArrayList<>();
        l.add("id:           " + e.id());
        l.add("family:       " + e.family());
        l.add("head:         " + e.head().type() + (e.head().labels().isEmpty() ? "" : " " + e.head().labels()));
        l.add(String.format(Locale.ROOT, "shape:        %d layers, hidden %d, %d heads x %d, FFN %d, embeddings %d%s%s",
                c.numLayers(), c.hiddenSize(), c.numHeads(), c.headSize(), c.intermediateSize(), c.embeddingSize(),
                c.shareLayers() ? ", shared layers" : "", c.homogeneous() ? "" : ", pruned per layer"));
        l.add(String.format(Locale.ROOT, "vocabulary:   %d word pieces, %s, %d token types, %d positions",
                c.vocabSize(), e.tokenizer().lowercase() ? "uncased" : "cased", c.typeVocabSize(), c.maxPositions()));
        l.add("parameters:   " + e.parameters() + " (" + e.nonEmbeddingParameters() + " non-embedding)");
        l.add("size on disk: " + bytes(e.bytesOnDisk()));
        if (e.weightBytes() != null) {
            l.add(String.format(Locale.ROOT, "weights:      %s (embeddings %s, %.0f%%; layers %s; head %s)",
                    bytes(e.weightBytes().total()), bytes(e.weightBytes().embeddings()),
                    100 * e.weightBytes().embeddingShare(), bytes(e.weightBytes().layers()), bytes(e.weightBytes().head())));
        }
        l.add("precision:    " + (e.quantization() == null ? "fp32" : e.quantization().scheme()
                + (e.quantization().activations() == null ? "" : ", activations " + e.quantization().activations())));
        l.add("sha256:       " + e.contentSha256());
        l.add("parent:       " + (e.parent() == null ? "-" : e.parent()));
        if (e.producedBy() != null) {
            l.add("produced by:  " + e.producedBy().command() + " " + e.producedBy().source());
        }
        l.add("created:      " + e.createdAt());
        if (e.metrics() != null && !e.metrics().isEmpty()) {
            l.add("metrics:");
            e.metrics().forEach((task, m) -> l.add("  " + task + ": " + m));
        }
        return l;
    }
}
