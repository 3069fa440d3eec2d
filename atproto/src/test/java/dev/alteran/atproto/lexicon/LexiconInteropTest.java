package dev.alteran.atproto.lexicon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Runs the official Lexicon interop vectors: schema validity and record data against the catalog. */
class LexiconInteropTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> CATALOG =
            List.of("permission-set.json", "procedure.json", "query.json", "record.json", "subscription.json");

    static JsonNode resource(String name) {
        try (var in = LexiconInteropTest.class.getResourceAsStream("/interop/lexicon/" + name)) {
            if (in == null) throw new IllegalStateException("missing test resource " + name);
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Lexicons catalog() {
        var lex = new Lexicons();
        for (var f : CATALOG) lex.add(LexiconDocument.parse(resource("catalog/" + f)));
        return lex;
    }

    @TestFactory
    Stream<DynamicTest> validSchemasParse() {
        return cases("lexicon-valid.json").map(c -> dynamicTest(c.get("name").asText(), () -> {
            var doc = LexiconDocument.parse(c.get("lexicon"));
            assertThat(doc.id()).isEqualTo(c.get("lexicon").get("id").asText());
        }));
    }

    @TestFactory
    Stream<DynamicTest> invalidSchemasAreRejected() {
        return cases("lexicon-invalid.json").map(c -> dynamicTest(c.get("name").asText(), () ->
                assertThatThrownBy(() -> LexiconDocument.parse(c.get("lexicon"))).isInstanceOf(LexiconException.class)));
    }

    @TestFactory
    Stream<DynamicTest> catalogSchemasParse() {
        return CATALOG.stream().map(f -> dynamicTest(f, () -> assertThat(LexiconDocument.parse(resource("catalog/" + f)).defs()).isNotEmpty()));
    }

    @TestFactory
    Stream<DynamicTest> validRecordData() {
        var lex = catalog();
        return cases("record-data-valid.json").map(c -> dynamicTest(c.get("name").asText(), () -> {
            var result = lex.validateRecord("example.lexicon.record", c.get("rkey").asText(), c.get("data"));
            assertThat(result.errors()).isEmpty();
            assertThat(result.status()).isEqualTo(ValidationResult.Status.VALID);
        }));
    }

    @TestFactory
    Stream<DynamicTest> invalidRecordData() {
        var lex = catalog();
        return cases("record-data-invalid.json").map(c -> dynamicTest(c.get("name").asText(), () -> {
            var result = lex.validateRecord("example.lexicon.record", c.get("rkey").asText(), c.get("data"));
            assertThat(result.status()).as(c.toString()).isEqualTo(ValidationResult.Status.INVALID);
            assertThat(result.errors()).allSatisfy(e -> assertThat(e).startsWith("Record"));
        }));
    }

    private static Stream<JsonNode> cases(String file) {
        var node = resource(file);
        assertThat(node.isArray() && !node.isEmpty()).as(file).isTrue();
        return java.util.stream.StreamSupport.stream(node.spliterator(), false);
    }
}
