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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * A catalog of Lexicon documents by NSID, resolving refs across documents and validating data.
 * Safe for concurrent reads and adds. The bundled schemas are parsed when first asked for (a server
 * validates a handful of record types; parsing all of them would cost start-up time).
 */
public final class Lexicons {
    /** Classpath folder of the bundled schemas; {@code index.txt} there lists every file. */
    public static final String BUNDLED_ROOT = "lexicons/";

    private final Map<String, LexiconDocument> docs = new ConcurrentHashMap<>();
    /** NSIDs this catalog loads from the bundled schemas on first use. */
    private final Set<String> bundled;

    public Lexicons() {
        this(Set.of());
    }

    private Lexicons(Set<String> bundled) {
        this.bundled = bundled;
    }

    /** A new catalog holding all schemas shipped in this jar (com.atproto.*, app.bsky.*, chat.bsky.*). */
    public static Lexicons loadBundled() {
        return new Lexicons(Bundled.PATHS.keySet());
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
        if (bundled.contains(doc.id()) || docs.putIfAbsent(doc.id(), doc) != null)
            throw new IllegalStateException("lexicon " + doc.id() + " is already loaded");
        return this;
    }

    public Lexicons addAll(Collection<LexiconDocument> documents) {
        documents.forEach(this::add);
        return this;
    }

    public Optional<LexiconDocument> get(String nsid) {
        return Optional.ofNullable(doc(nsid));
    }

    private LexiconDocument doc(String nsid) {
        var doc = docs.get(nsid);
        if (doc == null && bundled.contains(nsid)) doc = docs.computeIfAbsent(nsid, Bundled::get);
        return doc;
    }

    /** A definition by ref: {@code nsid} (its main definition), {@code nsid#main} or {@code nsid#name}. */
    public Optional<LexType> getDef(String ref) {
        int hash = ref.indexOf('#');
        var doc = doc(hash < 0 ? ref : ref.substring(0, hash));
        if (doc == null) return Optional.empty();
        return doc.def(hash < 0 ? "main" : ref.substring(hash + 1));
    }

    public Set<String> ids() {
        var ids = new HashSet<>(bundled);
        ids.addAll(docs.keySet());
        return Set.copyOf(ids);
    }

    public int size() {
        return ids().size();
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
        return validate(def.get(), value, path);
    }

    /** Validates a value against a type taken from a loaded schema, e.g. a method's input or output body. */
    public ValidationResult validate(LexType type, JsonNode value, String path) {
        var v = new DataValidator(this::getDef);
        v.validate(type, value, path);
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

    /** Parsed at most once per JVM; documents are immutable, so every catalog can share them. */
    private static final class Bundled {
        /** NSID -> path: a schema lives at its NSID's path ({@code app/bsky/feed/post.json}). */
        static final Map<String, String> PATHS = bundledPaths().stream()
                .collect(Collectors.toUnmodifiableMap(p -> p.substring(0, p.length() - ".json".length()).replace('/', '.'), p -> p));
        private static final Map<String, LexiconDocument> PARSED = new ConcurrentHashMap<>();

        static LexiconDocument get(String nsid) {
            return PARSED.computeIfAbsent(nsid, id -> load(PATHS.get(id), id));
        }

        private static LexiconDocument load(String path, String nsid) {
            try (var in = Lexicons.class.getClassLoader().getResourceAsStream(BUNDLED_ROOT + path)) {
                if (in == null) throw new IllegalStateException("bundled lexicon missing: " + path);
                var doc = LexiconDocument.parse(in);
                if (!doc.id().equals(nsid)) throw new LexiconException("its id is " + doc.id() + ", not " + nsid);
                return doc;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (LexiconException e) {
                throw new LexiconException(path + ": " + e.getMessage(), e);
            }
        }
    }
}
