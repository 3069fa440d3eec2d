package dev.alteran.pds.xrpc;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import dev.alteran.atproto.data.DataJson;
import java.io.IOException;

/**
 * A stored DAG-CBOR value (a record block) in a handler's output, streamed as its atproto JSON
 * straight from the bytes: the read path renders every record it returns, and decoding each into
 * maps first would double the work.
 */
@JsonSerialize(using = CborJson.Serializer.class)
public record CborJson(byte[] cbor) {
    static final class Serializer extends StdSerializer<CborJson> {
        Serializer() {
            super(CborJson.class);
        }

        @Override
        public void serialize(CborJson v, JsonGenerator gen, SerializerProvider provider) throws IOException {
            DataJson.writeCborAsJson(v.cbor(), gen);
        }
    }
}
