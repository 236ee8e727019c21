package dev.diffusion4j.models.autoencoder;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import java.io.IOException;

/**
 * An optional number that diffusers writes as JSON null when unset (shift_factor), held as NaN in our records: null
 * (and, with a "null" default, absence) reads as NaN, and NaN is left out when writing, so such a record goes through
 * config.json both ways (JSON has no NaN).
 */
final class NanAsNull {
    private NanAsNull() {}

    /** For {@code @JsonInclude(CUSTOM)}: NaN is left out when writing (the config maps hold no nulls), so it reads back as the default. */
    static final class Unset {
        @Override public boolean equals(Object value) { return value instanceof Double d && d.isNaN(); }

        @Override public int hashCode() { return 0; }
    }

    static final class Deserializer extends StdDeserializer<Double> {
        Deserializer() { super(Double.class); }

        @Override public Double deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            if (p.currentToken() == JsonToken.VALUE_NUMBER_INT || p.currentToken() == JsonToken.VALUE_NUMBER_FLOAT) return p.getDoubleValue();
            return (Double) ctx.handleUnexpectedToken(Double.class, p);
        }

        @Override public Double getNullValue(DeserializationContext ctx) { return Double.NaN; }
    }
}
