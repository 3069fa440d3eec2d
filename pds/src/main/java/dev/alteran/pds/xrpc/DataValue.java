package dev.alteran.pds.xrpc;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import dev.alteran.atproto.data.DataJson;
import java.io.IOException;

/** An atproto data-model value in a handler's output, rendered in its JSON form ({@code $link}, {@code $bytes}) without a tree. */
@JsonSerialize(using = DataValue.Serializer.class)
public record DataValue(Object value) {
    static final class Serializer extends StdSerializer<DataValue> {
        Serializer() {
            super(DataValue.class);
        }

        @Override
        public void serialize(DataValue v, JsonGenerator gen, SerializerProvider provider) throws IOException {
            DataJson.writeJson(v.value(), gen);
        }
    }
}
