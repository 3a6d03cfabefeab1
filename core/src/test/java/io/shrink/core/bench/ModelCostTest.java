package io.shrink.core.bench;

import io.shrink.core.TinyModels;
import io.shrink.core.model.EncoderConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Parameter and FLOP counts against hand-computed values. */
class ModelCostTest {
    static final EncoderConfig BERT_BASE = EncoderConfig.bert(30522, 768, 12, 12, 3072, 512);
    static final EncoderConfig DISTILBERT = new EncoderConfig("distilbert", 30522, 768, 6, 12, 64, 3072, 512, 0, 768,
            false, List.of(), List.of(), "gelu", 1e-12, 0.1, 0.1, 0);

    @Test
    void bertBaseParametersMatchHuggingFacesBertModel() {
        // embeddings: (30522 + 512 + 2) * 768 = 31036 * 768 = 23,835,648; LayerNorm 2 * 768 = 1,536
        // per layer: Q, K, V, O 4 * (768*768 + 768) = 2,362,368; FFN 768*3072 + 3072 + 3072*768 + 768 = 4,722,432;
        //            two LayerNorms 2 * 1,536 = 3,072; total 7,087,872; 12 layers: 85,054,464
        // pooler: 768*768 + 768 = 590,592
        // 23,835,648 + 1,536 + 85,054,464 + 590,592 = 109,482,240
        assertEquals(109_482_240L, ModelCost.parameters(BERT_BASE, true));
        assertEquals(109_482_240L - 590_592L, ModelCost.parameters(BERT_BASE, false));
        // without the three embedding tables: 109,482,240 - 23,835,648 = 85,646,592
        assertEquals(85_646_592L, ModelCost.nonEmbeddingParameters(BERT_BASE, true));
    }

    @Test
    void distilBertParametersMatchHuggingFacesDistilBertModel() {
        // embeddings: (30522 + 512) * 768 = 23,834,112; LayerNorm 1,536; 6 layers * 7,087,872 = 42,527,232
        // 23,834,112 + 1,536 + 42,527,232 = 66,362,880 (no pooler)
        assertEquals(66_362_880L, ModelCost.parameters(DISTILBERT, false));
        assertEquals(66_362_880L - 23_834_112L, ModelCost.nonEmbeddingParameters(DISTILBERT, false));
    }

    @Test
    void flopsCountEveryEncoderMatmul() {
        // per layer at s = 128, h = A = 768, f = 3072:
        //   QKV 3 * 2*128*768*768 = 452,984,832; scores + context 2 * 2*128^2*768 = 50,331,648;
        //   output 2*128*768*768 = 150,994,944; FFN 2 * 2*128*768*3072 = 1,207,959,552
        //   total 1,862,270,976
        assertEquals(12 * 1_862_270_976L, ModelCost.flopsPerSequence(BERT_BASE, 128));
        assertEquals(6 * 1_862_270_976L, ModelCost.flopsPerSequence(DISTILBERT, 128)); // 11.17 GFLOP (FACTS: 11.2)
        // s = 512: 2*512*(4*768*768 + 2*768*3072) = 7,247,757,312; 4*512^2*768 = 805,306,368
        assertEquals(12 * (7_247_757_312L + 805_306_368L), ModelCost.flopsPerSequence(BERT_BASE, 512));
    }

    @Test
    void flopsFollowPrunedLayersAndFactorisedSharedLayers() {
        EncoderConfig pruned = TinyModels.bert().withLayers(List.of(2, 0), List.of(0, 40));
        // s = 10, h = 32, headSize 8
        // layer 0: A = 16, no FFN: 3*2*10*32*16 = 30,720; 2*2*10^2*16 = 6,400; 2*10*16*32 = 10,240 -> 47,360
        // layer 1: no heads, f = 40: 2*2*10*32*40 = 51,200
        assertEquals(47_360L + 51_200L, ModelCost.flopsPerSequence(pruned, 10));
        // ALBERT-style: embeddings 16 wide projected to 32: 2*10*16*32 = 10,240; 3 applications of one layer with
        // A = 32, f = 64: 3*2*10*32*32 = 61,440; 2*2*100*32 = 12,800; 2*10*32*32 = 20,480; 2*2*10*32*64 = 81,920
        // -> 176,640 per layer
        assertEquals(10_240L + 3 * 176_640L, ModelCost.flopsPerSequence(TinyModels.albert(), 10));
    }
}
