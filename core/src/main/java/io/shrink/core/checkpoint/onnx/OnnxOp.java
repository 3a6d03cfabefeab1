package io.shrink.core.checkpoint.onnx;

/**
 * The ONNX operators the exporter emits, each with the operator-set version that introduced the form used
 * (all in the default domain). The graph declares the highest of these as its opset, {@link OnnxGraph#OPSET}.
 */
enum OnnxOp {
    ADD("Add", 14),
    CAST("Cast", 13),
    CLIP("Clip", 13),
    DIV("Div", 14),
    DYNAMIC_QUANTIZE_LINEAR("DynamicQuantizeLinear", 11),
    ERF("Erf", 13),
    GATHER("Gather", 13),
    IDENTITY("Identity", 16),
    LAYER_NORMALIZATION("LayerNormalization", 17),
    MAT_MUL("MatMul", 13),
    MAT_MUL_INTEGER("MatMulInteger", 10),
    MUL("Mul", 14),
    QUANTIZE_LINEAR("QuantizeLinear", 13),
    RELU("Relu", 14),
    RESHAPE("Reshape", 14),
    SHAPE("Shape", 15),
    SLICE("Slice", 13),
    SOFTMAX("Softmax", 13),
    SUB("Sub", 14),
    TANH("Tanh", 13),
    TRANSPOSE("Transpose", 13),
    UNSQUEEZE("Unsqueeze", 13);

    private final String opType;
    private final int since;

    OnnxOp(String opType, int since) {
        this.opType = opType;
        this.since = since;
    }

    /** The operator's name in a {@code NodeProto}. */
    String opType() {
        return opType;
    }

    /** The operator-set version whose definition of this operator the exporter relies on. */
    int since() {
        return since;
    }
}
