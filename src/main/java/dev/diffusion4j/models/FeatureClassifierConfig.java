package dev.diffusion4j.models;

import dev.diffusion4j.io.Json;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Shape of the small image classifier whose penultimate layer serves as a feature network for FID-style metrics.
 *
 * @param width      channels of the first stage (doubled at each of the two downsamplings)
 * @param featureDim length of the penultimate (feature) layer
 */
public record FeatureClassifierConfig(int inChannels, int resolution, int numClasses, int width, int featureDim) {
    public FeatureClassifierConfig {
        if (inChannels < 1 || resolution < 4 || numClasses < 2 || width < 8 || width % 8 != 0 || featureDim < 2)
            throw new IllegalArgumentException("feature classifier needs channels >= 1, size >= 4, >= 2 classes, a width that is a"
                    + " multiple of 8 and a feature length >= 2; got " + this);
    }

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("in_channels", inChannels);
        m.put("resolution", resolution);
        m.put("num_classes", numClasses);
        m.put("width", width);
        m.put("feature_dim", featureDim);
        return m;
    }

    public static FeatureClassifierConfig fromJson(Map<String, ?> m) {
        return new FeatureClassifierConfig(Json.requireInt(m, "in_channels"), Json.requireInt(m, "resolution"), Json.requireInt(m, "num_classes"),
                Json.requireInt(m, "width"), Json.requireInt(m, "feature_dim"));
    }
}
