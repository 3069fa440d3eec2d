package dev.alteran.pds.wire;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The shared JSON configuration: nulls omitted (XRPC outputs leave unset fields out), strict
 * duplicate detection, nesting at most 64 deep. The mapper itself stays private, so no caller can
 * reconfigure it for everyone else; callers get its immutable readers and writers.
 */
public final class Json {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    /**
     * Buffer recyclers kept for reuse. Jackson's default keeps one per thread, and every request runs on
     * a new virtual thread: each response allocated a fresh recycler's buffers (about 17 KB, most of a
     * getRecord's allocation). A shared pool reuses them; bounded, so a burst of concurrent requests
     * leaves no more than this many behind.
     */
    static final int RECYCLERS = 32;

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build());
        MAPPER.getFactory().setRecyclerPool(JsonRecyclerPools.newBoundedPool(RECYCLERS));
    }

    /** Reads JSON trees and values with the shared configuration. */
    public static final ObjectReader READER = MAPPER.reader();
    /** Writes values with the shared configuration. */
    public static final ObjectWriter WRITER = MAPPER.writer();
    public static final JsonNodeFactory NODES = MAPPER.getNodeFactory();

    private Json() {}

    public static ObjectNode object() {
        return NODES.objectNode();
    }

    public static ArrayNode array() {
        return NODES.arrayNode();
    }

    /** A writer bound to {@code type}: it keeps the type's serializer, which a plain writer looks up per call. */
    public static ObjectWriter writerFor(Class<?> type) {
        return MAPPER.writerFor(type);
    }

    /** {@code value} (a record, a map) as a JSON tree. */
    public static JsonNode toTree(Object value) {
        return MAPPER.valueToTree(value);
    }

    /** The recyclers waiting for reuse (tests). */
    static int pooledRecyclers() {
        return MAPPER.getFactory()._getRecyclerPool().pooledCount();
    }

    /** A streaming generator onto {@code out}, for outputs too large to build as a tree. */
    public static JsonGenerator generator(OutputStream out) throws IOException {
        return MAPPER.createGenerator(out);
    }
}
