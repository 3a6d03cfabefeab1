package io.shrink.core.models;

/** The file layouts {@code shrink models export} writes. */
public enum ExportFormat {
    /** A Hugging Face checkpoint directory: config.json, model.safetensors, vocab.txt, tokenizer.json. */
    HF,
    /** An ONNX model (model.onnx, int8 linears kept as int8) with vocab.txt and tokenizer.json, for ONNX Runtime. */
    ONNX
}
