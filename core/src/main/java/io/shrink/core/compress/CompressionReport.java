package io.shrink.core.compress;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;
import java.util.Map;

/**
 * What a compression method did to a model.
 *
 * @param method           the method's registry name
 * @param options          the settings as resolved for this model (e.g. the layer indices a spec selected): what the
 *                         new model's lineage records
 * @param parametersBefore parameters of the input model
 * @param parametersAfter  parameters of the output model
 * @param notes            what a user should know about the result, one sentence each (may be empty)
 */
@JsonPropertyOrder({"method", "options", "parametersBefore", "parametersAfter", "notes"})
public record CompressionReport(String method, Map<String, Object> options, long parametersBefore,
                                long parametersAfter, List<String> notes) {
    /** The share of parameters kept, e.g. 0.6 for a model 40% smaller. */
    public double parameterRatio() {
        return parametersBefore == 0 ? 1.0 : (double) parametersAfter / parametersBefore;
    }
}
