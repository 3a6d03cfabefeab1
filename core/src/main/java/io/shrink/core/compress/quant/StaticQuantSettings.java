package io.shrink.core.compress.quant;

/**
 * The settings of {@code static-int8}; a setting left out takes its default.
 *
 * @param attention   quantise the attention projections (default true)
 * @param ffn         quantise the FFN projections (default true)
 * @param include     regular expression over module names to quantise, or null for all
 * @param exclude     regular expression over module names to leave in float32, or null
 * @param observer    how activation ranges are chosen: minmax, percentile, mse (default), entropy
 * @param percentile  for {@code percentile}: the share kept at each end (default 99.99)
 * @param bins        histogram bins per linear input (default 2048)
 * @param tolerance   accuracy-aware mode: the largest loss on the held-out data, relative ({@code 1%}) or in
 *                    points ({@code 0.5}); null for none
 * @param fallback    what the most sensitive linears fall back to: fp32 (default) or bf16
 * @param maxFallback accuracy-aware mode: at most this many linears fall back (the fused query-key-value product
 *                    counts as one); default half of them
 */
public record StaticQuantSettings(Boolean attention, Boolean ffn, String include, String exclude, String observer,
                                  Double percentile, Integer bins, String tolerance, String fallback,
                                  Integer maxFallback) {
}
