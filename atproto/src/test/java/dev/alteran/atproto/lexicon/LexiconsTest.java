package dev.alteran.atproto.lexicon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.alteran.atproto.lexicon.LexType.LexRecord;
import dev.alteran.atproto.lexicon.ValidationResult.Status;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LexiconsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Lexicons lex;

    @BeforeAll
    static void load() {
        lex = Lexicons.loadBundled();
    }

    private static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void indexListsEveryShippedSchema() throws URISyntaxException, Exception {
        var root = Path.of(Lexicons.class.getClassLoader().getResource(Lexicons.BUNDLED_ROOT + "index.txt").toURI()).getParent();
        Set<String> shipped;
        try (var files = Files.walk(root)) {
            shipped = files.filter(p -> p.toString().endsWith(".json"))
                    .map(p -> root.relativize(p).toString().replace('\\', '/')).collect(Collectors.toSet());
        }
        assertThat(new HashSet<>(Lexicons.bundledPaths())).isEqualTo(shipped);
        assertThat(Lexicons.bundledPaths()).doesNotHaveDuplicates();
        assertThat(Files.exists(root.resolve("LICENSE-MIT.txt"))).isTrue();
    }

    @Test
    void loadsAllBundledSchemas() {
        assertThat(lex.size()).isEqualTo(Lexicons.bundledPaths().size());
        for (var path : Lexicons.bundledPaths()) {
            var id = path.substring(0, path.length() - ".json".length()).replace('/', '.');
            assertThat(lex.get(id)).as(path).isPresent();
        }
        assertThat(lex.getDef("app.bsky.feed.post")).get().isInstanceOf(LexRecord.class);
        assertThat(lex.getDef("app.bsky.feed.post#main")).get().isInstanceOf(LexRecord.class);
        assertThat(lex.getDef("com.atproto.repo.strongRef")).isPresent();
        assertThat(lex.getDef("app.bsky.feed.defs#postView")).isPresent();
        // Each call gives an independent catalog.
        Lexicons.loadBundled().add(LexiconDocument.parse(LexiconInteropTest.resource("catalog/record.json")));
        assertThat(lex.get("example.lexicon.record")).isEmpty();
    }

    @Test
    void duplicateIdsAreRejected() {
        var doc = lex.get("app.bsky.feed.like").orElseThrow();
        assertThatThrownBy(() -> lex.add(doc)).isInstanceOf(IllegalStateException.class);
    }

    static final String POST = """
            {
              "$type": "app.bsky.feed.post",
              "text": "hello 🌍 world",
              "createdAt": "2024-05-01T12:00:00.000Z",
              "langs": ["en", "pt-BR"],
              "facets": [{
                "index": {"byteStart": 0, "byteEnd": 5},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com"}]
              }],
              "reply": {
                "root": {"uri": "at://did:plc:abc/app.bsky.feed.post/3jzfcijpj2z2a",
                         "cid": "bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq"},
                "parent": {"uri": "at://did:plc:abc/app.bsky.feed.post/3jzfcijpj2z2a",
                           "cid": "bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq"}
              },
              "embed": {
                "$type": "app.bsky.embed.images",
                "images": [{
                  "alt": "a picture",
                  "image": {"$type": "blob", "ref": {"$link": "bafkreie7q3iidccmpvszul7kudcvvuavuo7u6gzlbobczuk5nqk3b4akba"},
                            "mimeType": "image/jpeg", "size": 12345},
                  "aspectRatio": {"width": 4, "height": 3}
                }]
              }
            }
            """;

    @Test
    void realPostValidates() {
        var result = lex.validateRecord("app.bsky.feed.post", "3jzfcijpj2z2a", json(POST));
        assertThat(result.errors()).isEmpty();
        assertThat(result.status()).isEqualTo(Status.VALID);
    }

    @Test
    void aBlobRefThatOnlyLooksLikeACidFails() {
        // Found by RecordValidationFuzzTest: the "cid" string syntax let a $link with trailing bytes pass
        // as valid, and the record then failed to convert to DAG-CBOR.
        var post = (com.fasterxml.jackson.databind.node.ObjectNode) json(POST);
        var image = (com.fasterxml.jackson.databind.node.ObjectNode) post.get("embed").get("images").get(0).get("image");
        image.set("ref", json("{\"$link\": \"bafkreie7q3iidccmpvszul7kudcvvuavuo7u6gzlbobczuk5nqk3b4akbaxyz\"}"));
        var result = lex.validateRecord("app.bsky.feed.post", post);
        assertThat(result.status()).isEqualTo(Status.INVALID);
    }

    @Test
    void aBlobWithAnExtraKeyFails() {
        // Found by RecordValidationFuzzTest: a blob with a fifth key passed as valid; the data model refuses it.
        var post = (com.fasterxml.jackson.databind.node.ObjectNode) json(POST);
        var image = (com.fasterxml.jackson.databind.node.ObjectNode) post.get("embed").get("images").get(0).get("image");
        image.put("extra", 1);
        assertThat(lex.validateRecord("app.bsky.feed.post", post).status()).isEqualTo(Status.INVALID);
    }

    @Test
    void anEmptyTypeFails() {
        // Found by RecordValidationFuzzTest: an open union member (and undeclared data) with "$type": ""
        // passed as valid, though the data model (and so DAG-CBOR conversion) refuses an empty $type.
        var profile = json("""
                {"$type": "app.bsky.actor.profile", "labels": {"$type": "", "values": []}}""");
        assertThat(lex.validateRecord("app.bsky.actor.profile", profile).status()).isEqualTo(Status.INVALID);
        var extra = json("""
                {"$type": "app.bsky.actor.profile", "extra": {"$type": ""}}""");
        assertThat(lex.validateRecord("app.bsky.actor.profile", extra).status()).isEqualTo(Status.INVALID);
    }

    @Test
    void postWith301GraphemesFails() {
        var post = (com.fasterxml.jackson.databind.node.ObjectNode) json(POST);
        post.put("text", "é".repeat(301)); // 301 graphemes, 602 UTF-8 bytes: within maxLength 3000
        var result = lex.validateRecord("app.bsky.feed.post", post);
        assertThat(result.status()).isEqualTo(Status.INVALID);
        assertThat(result.errors()).containsExactly("Record/text must not be longer than 300 graphemes");
        post.put("text", "👩‍👩‍👦‍👦".repeat(300)); // 300 family emoji: 300 graphemes, 7500 bytes, over maxLength
        assertThat(lex.validateRecord("app.bsky.feed.post", post).errors())
                .containsExactly("Record/text must not be longer than 3000 bytes (UTF-8)");
        post.put("text", "👩‍👩‍👦‍👦".repeat(100));
        assertThat(lex.validateRecord("app.bsky.feed.post", post).isValid()).isTrue();
    }

    @Test
    void nestedErrorsNameTheirPath() {
        var post = (com.fasterxml.jackson.databind.node.ObjectNode) json(POST);
        ((com.fasterxml.jackson.databind.node.ObjectNode) post.get("reply").get("parent")).put("uri", "not-a-uri");
        ((com.fasterxml.jackson.databind.node.ObjectNode) post.get("embed").get("images").get(0).get("image")).put("mimeType", "text/html");
        post.remove("createdAt");
        var result = lex.validateRecord("app.bsky.feed.post", post);
        assertThat(result.errors()).containsExactlyInAnyOrder(
                "Record must have the property \"createdAt\"",
                "Record/reply/parent/uri must be a valid at-uri",
                "Record/embed/images/0/image has MIME type text/html, which is not accepted (image/*)");
        assertThatThrownBy(result::throwIfInvalid).isInstanceOf(LexiconValidationException.class)
                .hasMessage(result.message());
    }

    @Test
    void recordTypeAndKeyAreChecked() {
        var post = json(POST);
        assertThat(lex.validateRecord("app.bsky.feed.like", post).errors()).contains("Record/$type must be \"app.bsky.feed.like\"");
        assertThat(lex.validateRecord("app.bsky.feed.post", "self", post).errors())
                .containsExactly("Record key \"self\" does not match the key type tid");
        var profile = json("{\"$type\":\"app.bsky.actor.profile\",\"displayName\":\"Alice\"}");
        assertThat(lex.validateRecord("app.bsky.actor.profile", "self", profile).isValid()).isTrue();
        assertThat(lex.validateRecord("app.bsky.actor.profile", "3jzfcijpj2z2a", profile).isInvalid()).isTrue();
    }

    @Test
    void unknownCollectionIsReportedAsUnknown() {
        var result = lex.validateRecord("com.example.thing", json("{\"$type\":\"com.example.thing\"}"));
        assertThat(result.status()).isEqualTo(Status.UNKNOWN);
        assertThat(lex.validateRecord("not an nsid", json("{}")).isInvalid()).isTrue();
        assertThat(lex.validateRecord("com.atproto.repo.createRecord", json("{}")).errors())
                .containsExactly("Lexicon com.atproto.repo.createRecord is not a record type");
    }

    @Test
    void dataModelMapForm() {
        Map<String, Object> like = new LinkedHashMap<>();
        like.put("$type", "app.bsky.feed.like");
        like.put("subject", Map.of("uri", "at://did:plc:abc/app.bsky.feed.post/3jzfcijpj2z2a",
                "cid", "bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq"));
        like.put("createdAt", "2024-05-01T12:00:00.000Z");
        assertThat(lex.validateRecord("app.bsky.feed.like", like).errors()).isEmpty();
        like.put("createdAt", 5L);
        assertThat(lex.validateRecord("app.bsky.feed.like", like).errors())
                .containsExactly("Record/createdAt must be a string");

        Map<String, Object> extra = new LinkedHashMap<>(Map.of("$type", "app.bsky.feed.like", "createdAt", "2024-05-01T12:00:00Z",
                "subject", Map.of("uri", "at://did:plc:abc/app.bsky.feed.post/3jzfcijpj2z2a",
                        "cid", "bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq")));
        extra.put("blobby", new byte[] {1, 2, 3});
        extra.put("list", List.of(1L, 2L, true));
        assertThat(lex.validateRecord("app.bsky.feed.like", extra).isValid()).isTrue();
        extra.put("float", 1.5); // not a data-model value at all: the map form cannot carry it
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> lex.validateRecord("app.bsky.feed.like", extra))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void validateAgainstAnyDefinition() {
        var input = json("{\"repo\":\"did:plc:abc\",\"collection\":\"app.bsky.feed.post\",\"record\":{}}");
        var createRecord = lex.getDef("com.atproto.repo.createRecord").orElseThrow();
        var body = ((LexType.LexProcedure) createRecord).input().schema();
        var v = new DataValidator(lex::getDef);
        v.validate(body, input, "Input");
        assertThat(v.errors).isEmpty();
        assertThat(lex.validate("com.atproto.repo.strongRef", json("{\"uri\":\"x\"}"), "Input").errors())
                .containsExactlyInAnyOrder("Input must have the property \"cid\"", "Input/uri must be a valid at-uri");
    }

    @Test
    void graphemeCounting() {
        assertThat(Graphemes.count("")).isZero();
        assertThat(Graphemes.count("abc")).isEqualTo(3);
        assertThat(Graphemes.count("🇩🇪🏳️‍🌈")).isEqualTo(2);
        assertThat(Graphemes.count("👩‍👩‍👦‍👦")).isEqualTo(1);
        assertThat(Graphemes.count("e\u0301")).isEqualTo(1);
    }

    @Test
    void mimePatterns() {
        assertThat(MimeTypes.matches("image/*", "image/png")).isTrue();
        assertThat(MimeTypes.matches("image/*", "video/mp4")).isFalse();
        assertThat(MimeTypes.matches("*/*", "application/octet-stream")).isTrue();
        assertThat(MimeTypes.matches("video/mp4", "VIDEO/MP4")).isTrue();
        assertThat(MimeTypes.matches("text/plain", "text/plain; charset=utf-8")).isTrue();
    }

    @Test
    void schemaErrors() {
        var bad = new ArrayList<String>();
        bad.add("{\"lexicon\":1,\"id\":\"a.b.c\",\"defs\":{\"main\":{\"type\":\"string\",\"format\":\"nope\"}}}");
        bad.add("{\"lexicon\":1,\"id\":\"a.b.c\",\"defs\":{\"main\":{\"type\":\"integer\",\"minimum\":5,\"maximum\":1}}}");
        bad.add("{\"lexicon\":1,\"id\":\"a.b.c\",\"defs\":{\"main\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"token\"}}}}}");
        bad.add("{\"lexicon\":1,\"id\":\"a.b.c\",\"defs\":{\"main\":{\"type\":\"record\",\"key\":\"weird\",\"record\":{\"type\":\"object\"}}}}");
        bad.add("{\"lexicon\":1,\"id\":\"a.b.c\",\"defs\":{\"main\":{\"type\":\"query\",\"parameters\":{\"type\":\"params\",\"properties\":{\"o\":{\"type\":\"object\"}}}}}}");
        bad.add("{\"lexicon\":1,\"id\":\"a.b.c\",\"defs\":{\"main\":{\"type\":\"object\",\"properties\":{\"r\":{\"type\":\"ref\",\"ref\":\"not valid\"}}}}}");
        bad.add("{\"lexicon\":1,\"id\":\"a.b.c\"}");
        bad.add("not json");
        for (var s : bad) assertThatThrownBy(() -> LexiconDocument.parse(s)).as(s).isInstanceOf(LexiconException.class);
    }

}
