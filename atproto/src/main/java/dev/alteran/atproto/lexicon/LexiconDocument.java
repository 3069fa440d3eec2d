package dev.alteran.atproto.lexicon;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;

/**
 * One Lexicon schema file: an NSID and its named definitions. Parsing checks the schema itself
 * (types allowed in each position, constraint types, primary types only as {@code main}, ref syntax).
 */
public record LexiconDocument(int lexicon, String id, Integer revision, String description, Map<String, LexType> defs) {
    static final ObjectMapper JSON = new ObjectMapper();

    public LexiconDocument {
        defs = Map.copyOf(defs);
    }

    public static LexiconDocument parse(JsonNode json) {
        return LexiconParser.parseDocument(json);
    }

    public static LexiconDocument parse(String json) {
        try {
            return parse(JSON.readTree(json));
        } catch (JsonProcessingException e) {
            throw new LexiconException("Lexicon document is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    public static LexiconDocument parse(InputStream json) {
        try {
            return parse(JSON.readTree(json));
        } catch (IOException e) {
            throw new LexiconException("Lexicon document could not be read: " + e.getMessage(), e);
        }
    }

    /** The definition with this name ({@code main} for the document's primary type). */
    public Optional<LexType> def(String name) {
        return Optional.ofNullable(defs.get(name));
    }

    public Optional<LexType> main() {
        return def("main");
    }
}
