package dev.alteran.atproto.lexicon;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.atproto.data.DataJson;
import dev.alteran.atproto.lexicon.LexType.LexRecord;
import dev.alteran.atproto.syntax.Nsid;
import dev.alteran.atproto.syntax.RecordKey;
import dev.alteran.atproto.syntax.Tid;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A catalog of Lexicon documents by NSID, resolving refs across documents and validating data.
 * Safe for concurrent reads and adds.
 */
public final class Lexicons {
    /** Classpath folder of the bundled schemas; {@code index.txt} there lists every file. */
    public static final String BUNDLED_ROOT = "lexicons/";

    private final Map<String, LexiconDocument> docs = new ConcurrentHashMap<>();

    public Lexicons() {}

    /** A new catalog holding all schemas shipped in this jar (com.atproto.*, app.bsky.*, chat.bsky.*). */
    public static Lexicons loadBundled() {
        var lex = new Lexicons();
        lex.addAll(Bundled.DOCS);
        return lex;
    }

    /** Paths of the bundled schema files relative to {@link #BUNDLED_ROOT}, as listed in its index. */
    public static List<String> bundledPaths() {
        try (var in = Lexicons.class.getClassLoader().getResourceAsStream(BUNDLED_ROOT + "index.txt")) {
            if (in == null) throw new IllegalStateException("bundled lexicon index " + BUNDLED_ROOT + "index.txt is missing");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Adds a document; its id must not be present yet. */
    public Lexicons add(LexiconDocument doc) {
        if (docs.putIfAbsent(doc.id(), doc) != null)
            throw new IllegalStateException("lexicon " + doc.id() + " is already loaded");
        return this;
    }

    public Lexicons addAll(Collection<LexiconDocument> documents) {
        documents.forEach(this::add);
        return this;
    }

    public Optional<LexiconDocument> get(String nsid) {
        return Optional.ofNullable(docs.get(nsid));
    }

    /** A definition by ref: {@code nsid} (its main definition), {@code nsid#main} or {@code nsid#name}. */
    public Optional<LexType> getDef(String ref) {
        int hash = ref.indexOf('#');
        var doc = docs.get(hash < 0 ? ref : ref.substring(0, hash));
        if (doc == null) return Optional.empty();
        return doc.def(hash < 0 ? "main" : ref.substring(hash + 1));
    }

    public Set<String> ids() {
        return Set.copyOf(docs.keySet());
    }

    public int size() {
        return docs.size();
    }

    /** Validates a record given in data-model form (links as {@code dev.alteran.atproto.data.Cid}, bytes as byte[]). */
    public ValidationResult validateRecord(String collection, Map<String, Object> record) {
        return validateRecord(collection, null, DataJson.toJson(record));
    }

    /** Validates a record given in atproto JSON form ({@code $link}, {@code $bytes}, typed blobs). */
    public ValidationResult validateRecord(String collection, JsonNode record) {
        return validateRecord(collection, null, record);
    }

    /**
     * Validates a record and, when {@code rkey} is not null, its record key against the lexicon's key type.
     * Returns UNKNOWN if no schema for {@code collection} is loaded.
     */
    public ValidationResult validateRecord(String collection, String rkey, JsonNode record) {
        if (!Nsid.isValid(collection)) return ValidationResult.invalid(List.of("Invalid collection NSID: " + collection));
        var def = getDef(collection);
        if (def.isEmpty()) return ValidationResult.unknown("Lexicon not found: " + collection);
        if (!(def.get() instanceof LexRecord recordDef))
            return ValidationResult.invalid(List.of("Lexicon " + collection + " is not a record type"));
        var v = new DataValidator(this::getDef);
        if (rkey != null && !rkeyFits(recordDef.key(), rkey))
            v.errors.add("Record key \"" + rkey + "\" does not match the key type " + recordDef.key());
        if (record == null || !record.isObject()) {
            v.errors.add("Record must be an object");
        } else {
            var type = record.get("$type");
            if (type == null || !type.isTextual() || !type.asText().equals(collection))
                v.errors.add("Record/$type must be \"" + collection + "\"");
            v.validate(recordDef, record, "Record");
        }
        return v.errors.isEmpty() ? ValidationResult.valid() : ValidationResult.invalid(v.errors);
    }

    /**
     * Validates any value against a definition ({@code nsid}, {@code nsid#name}), e.g. an XRPC body.
     * {@code path} names the value in error messages (e.g. {@code Input}).
     */
    public ValidationResult validate(String ref, JsonNode value, String path) {
        var def = getDef(DataValidator.normalizeRef(ref));
        if (def.isEmpty()) return ValidationResult.unknown("Lexicon not found: " + ref);
        var v = new DataValidator(this::getDef);
        v.validate(def.get(), value, path);
        return v.errors.isEmpty() ? ValidationResult.valid() : ValidationResult.invalid(v.errors);
    }

    static boolean rkeyFits(String keyType, String rkey) {
        if (!RecordKey.isValid(rkey)) return false;
        return switch (keyType) {
            case "tid" -> Tid.isValid(rkey);
            case "nsid" -> Nsid.isValid(rkey);
            case "any" -> true;
            default -> keyType.startsWith("literal:") && keyType.substring("literal:".length()).equals(rkey);
        };
    }

    /** Parsed once per JVM; documents are immutable, so every catalog can share them. */
    private static final class Bundled {
        static final List<LexiconDocument> DOCS = bundledPaths().stream().map(Bundled::load).toList();

        private static LexiconDocument load(String path) {
            try (var in = Lexicons.class.getClassLoader().getResourceAsStream(BUNDLED_ROOT + path)) {
                if (in == null) throw new IllegalStateException("bundled lexicon missing: " + path);
                return LexiconDocument.parse(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (LexiconException e) {
                throw new LexiconException(path + ": " + e.getMessage(), e);
            }
        }
    }
}
