package io.shrink.core.checkpoint.onnx;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.UnsafeByteOperations;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A small builder of one ONNX graph over the protobuf classes of {@code ai.onnx.proto.OnnxMl}: typed inputs and
 * outputs with symbolic dimensions, little-endian {@code raw_data} initializers (each added once by name), and
 * nodes whose output names are made unique from a readable hint.
 */
final class OnnxGraph {
    /** The operator-set version the graph declares: the newest {@link OnnxOp#since()} of the operators used. */
    static final int OPSET = 17;
    /** The IR version that goes with {@link #OPSET} (ONNX 1.12). */
    static final long IR_VERSION = 8;

    private final OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder();
    private final Set<String> names = new HashSet<>();
    private final Map<String, Integer> hints = new HashMap<>();
    private long initializerBytes;

    OnnxGraph(String name) {
        graph.setName(name);
    }

    /** Declares a graph input; a dimension is a {@code String} (symbolic) or a {@code Long}/{@code Integer}. */
    void input(String name, TensorProto.DataType type, Object... dims) {
        names.add(name);
        graph.addInput(valueInfo(name, type, dims));
    }

    /** Declares an existing value as a graph output, dimensions as for {@link #input}. */
    void output(String name, TensorProto.DataType type, Object... dims) {
        graph.addOutput(valueInfo(name, type, dims));
    }

    private static OnnxMl.ValueInfoProto valueInfo(String name, TensorProto.DataType type, Object... dims) {
        OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
        for (Object d : dims) {
            OnnxMl.TensorShapeProto.Dimension.Builder dim = OnnxMl.TensorShapeProto.Dimension.newBuilder();
            if (d instanceof String s) {
                dim.setDimParam(s);
            } else {
                dim.setDimValue(((Number) d).longValue());
            }
            shape.addDim(dim);
        }
        OnnxMl.TypeProto.Tensor.Builder tensor = OnnxMl.TypeProto.Tensor.newBuilder()
                .setElemType(type.getNumber()).setShape(shape);
        return OnnxMl.ValueInfoProto.newBuilder().setName(name)
                .setType(OnnxMl.TypeProto.newBuilder().setTensorType(tensor)).build();
    }

    /** A float32 initializer (added once per name); returns its name. */
    String floats(String name, long[] shape, float[] data) {
        if (names.contains(name)) {
            return name;
        }
        ByteBuffer bb = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(data);
        return initializer(name, TensorProto.DataType.FLOAT, shape, bb.array());
    }

    /** A one-byte-per-element initializer, {@code INT8} or {@code UINT8} (added once per name); returns its name. */
    String bytes(String name, TensorProto.DataType type, long[] shape, byte[] data) {
        return names.contains(name) ? name : initializer(name, type, shape, data);
    }

    /** An int64 initializer (added once per name); returns its name. */
    String longs(String name, long[] shape, long... data) {
        if (names.contains(name)) {
            return name;
        }
        ByteBuffer bb = ByteBuffer.allocate(8 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.asLongBuffer().put(data);
        return initializer(name, TensorProto.DataType.INT64, shape, bb.array());
    }

    /** A 0-D float32 constant, shared by every use of the same value. */
    String scalar(float value) {
        return floats("const/" + value, new long[0], new float[] {value});
    }

    /** A 0-D int64 constant, shared by every use of the same value. */
    String index(long value) {
        return longs("const/index_" + value, new long[0], value);
    }

    /** A 1-D int64 constant, e.g. a shape or an axes list, shared by every use of the same values. */
    String vector(long... values) {
        StringBuilder name = new StringBuilder("const/ints");
        for (long v : values) {
            name.append('_').append(v);
        }
        return longs(name.toString(), new long[] {values.length}, values);
    }

    private String initializer(String name, TensorProto.DataType type, long[] shape, byte[] raw) {
        names.add(name);
        initializerBytes += raw.length;
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type.getNumber())
                .setRawData(UnsafeByteOperations.unsafeWrap(raw));
        for (long d : shape) {
            t.addDims(d);
        }
        graph.addInitializer(t);
        return name;
    }

    /** Bytes of initializer data added so far (protobuf caps a whole file at 2 GiB). */
    long initializerBytes() {
        return initializerBytes;
    }

    /** A node with one output, named after {@code hint}; returns the output's name. */
    String node(OnnxOp op, String hint, List<String> inputs, AttributeProto... attributes) {
        return node(op, hint, inputs, 1, attributes).get(0);
    }

    /** A node with {@code outputs} outputs, named {@code hint}, {@code hint/1}, ...; returns their names. */
    List<String> node(OnnxOp op, String hint, List<String> inputs, int outputs, AttributeProto... attributes) {
        String base = unique(hint);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < outputs; i++) {
            String name = i == 0 ? base : base + "/" + i;
            names.add(name);
            out.add(name);
        }
        OnnxMl.NodeProto.Builder node = OnnxMl.NodeProto.newBuilder().setName(base + "/" + op.opType())
                .setOpType(op.opType()).addAllInput(inputs).addAllOutput(out);
        for (AttributeProto a : attributes) {
            node.addAttribute(a);
        }
        graph.addNode(node);
        return out;
    }

    private String unique(String hint) {
        String name = hint;
        while (names.contains(name)) {
            int n = hints.merge(hint, 1, Integer::sum);
            name = hint + "_" + n;
        }
        return name;
    }

    /** An integer attribute. */
    static AttributeProto attr(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    /** A float attribute. */
    static AttributeProto attr(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value)
                .build();
    }

    /** A list-of-integers attribute. */
    static AttributeProto attr(String name, long[] values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    /** The finished model: this graph, the default-domain opset {@link #OPSET}, producer and metadata. */
    OnnxMl.ModelProto model(String producerVersion, String doc, Map<String, String> metadata) {
        OnnxMl.ModelProto.Builder m = OnnxMl.ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setProducerName("shrink")
                .setProducerVersion(producerVersion)
                .setDocString(doc)
                .setGraph(graph);
        metadata.forEach((k, v) -> m.addMetadataProps(OnnxMl.StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        return m.build();
    }
}
