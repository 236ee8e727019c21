package dev.diffusion4j.io;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.JsonGeneratorDelegate;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.cfg.EnumFeature;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;

/**
 * The two Jackson mappers of the project, configured once: {@link #PLAIN} writes maps, lists and scalars as they
 * are (metrics lines, safetensors headers); {@link #CONFIG} binds config records strictly (snake_case keys, no
 * unknown or duplicate keys, no nulls, no type coercion: "abc" is never an int, 2.5 never an int, 1 never true).
 * Both refuse to write what a strict reader could not read back (NaN, infinities, unpaired surrogates).
 */
final class JsonMappers {
    private JsonMappers() {}

    /** Deep enough for any real document; a structure that contains itself hits it instead of the stack. */
    static final int MAX_WRITE_DEPTH = 512;

    static final ObjectMapper PLAIN = builder().build();

    static final ObjectMapper CONFIG = builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
            .configure(EnumFeature.WRITE_ENUMS_TO_LOWERCASE, true)
            // JSON null is never a value of a config field, nor of a map or array element inside one
            .defaultSetterInfo(JsonSetter.Value.construct(Nulls.FAIL, Nulls.FAIL))
            .withCoercionConfigDefaults(c -> c
                    .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.EmptyArray, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.EmptyObject, CoercionAction.Fail)
                    .setAcceptBlankAsEmpty(false))
            // ...except that an integer is a valid number: "lr": 1 means 1.0
            .withCoercionConfig(LogicalType.Float, c -> c.setCoercion(CoercionInputShape.Integer, CoercionAction.TryConvert))
            .build();

    /** Pretty output: two-space indented objects, arrays on one line ("channel_mult": [1, 2, 2]), "key": value. */
    static ObjectWriter prettyWriter(ObjectMapper mapper) {
        Separators s = Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                .withArrayValueSpacing(Separators.Spacing.AFTER)
                .withObjectEmptySeparator("")
                .withArrayEmptySeparator("");
        DefaultPrettyPrinter pp = new DefaultPrettyPrinter(s)
                .withObjectIndenter(new DefaultIndenter("  ", "\n"))
                .withArrayIndenter(new DefaultPrettyPrinter.NopIndenter());
        return mapper.writer(pp);
    }

    private static JsonMapper.Builder builder() {
        JsonFactory factory = JsonFactory.builder()
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
                .streamWriteConstraints(StreamWriteConstraints.builder().maxNestingDepth(MAX_WRITE_DEPTH).build())
                .addDecorator((f, g) -> new StrictOutput(g))
                .build();
        return JsonMapper.builder(factory).enable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
    }

    /**
     * Refuses, with the JSON path of the value, what JSON cannot hold (NaN, infinities) and strings that UTF-8
     * cannot encode (unpaired surrogates), instead of writing a file that no strict reader accepts.
     */
    private static final class StrictOutput extends JsonGeneratorDelegate {
        StrictOutput(JsonGenerator g) { super(g, false); }

        @Override public void writeNumber(double v) throws IOException {
            if (!Double.isFinite(v)) throw refuse("cannot write non-finite number " + v + " as JSON");
            super.writeNumber(v);
        }

        @Override public void writeNumber(float v) throws IOException {
            if (!Float.isFinite(v)) throw refuse("cannot write non-finite number " + v + " as JSON");
            super.writeNumber(v);
        }

        @Override public void writeString(String text) throws IOException {
            checkSurrogates(text);
            super.writeString(text);
        }

        @Override public void writeFieldName(String name) throws IOException {
            checkSurrogates(name);
            super.writeFieldName(name);
        }

        private void checkSurrogates(String s) throws JsonMappingException {
            int at = JsonValueReader.unpairedSurrogate(s);
            if (at >= 0) throw refuse(String.format("string contains an unpaired surrogate U+%04X at index %d", (int) s.charAt(at), at));
        }

        /** A mapping exception, so the serializers of enclosing maps, lists and records add their key or index. */
        private JsonMappingException refuse(String message) {
            return JsonMappingException.from(this, message);
        }
    }
}
