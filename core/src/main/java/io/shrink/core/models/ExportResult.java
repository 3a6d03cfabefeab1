package io.shrink.core.models;

import java.nio.file.Path;

/**
 * What {@code shrink models export} wrote.
 *
 * @param dir    the directory written
 * @param format the layout
 * @param detail for ONNX, a one-line account of the weights' types (e.g. which linears are int8); empty for HF
 */
public record ExportResult(Path dir, ExportFormat format, String detail) {
}
