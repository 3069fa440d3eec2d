package dev.alteran.atproto.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class DataJsonTest {
  private static Stream<Named<JsonNode>> cases(String file) {
    var all = Interop.json("data-model/" + file);
    return java.util.stream.StreamSupport.stream(all.spliterator(), false)
        .map(n -> Named.of(n.has("note") ? n.get("note").asText() : n.get("cid").asText(), n));
  }

  static Stream<Named<JsonNode>> fixtures() {
    return cases("data-model-fixtures.json");
  }

  static Stream<Named<JsonNode>> valid() {
    return cases("data-model-valid.json");
  }

  static Stream<Named<JsonNode>> invalid() {
    return cases("data-model-invalid.json");
  }

  @ParameterizedTest
  @MethodSource("fixtures")
  void jsonToCborToCidAndBack(JsonNode f) {
    var cbor = Base64.getDecoder().decode(f.get("cbor_base64").asText());
    var value = DataJson.fromJson(f.get("json"));
    var encoded = DagCbor.encode(value);
    assertThat(encoded).isEqualTo(cbor);
    assertThat(Cid.ofDagCbor(encoded).toString()).isEqualTo(f.get("cid").asText());
    var back = DataJson.toJson(DagCbor.decode(cbor));
    assertThat(back).isEqualTo(f.get("json"));
    assertThat(DataJson.fromJson(DataJson.toJsonString(DagCbor.decode(cbor)))).satisfies(
        v -> assertThat(DagCbor.encode(v)).isEqualTo(cbor));
  }

  @ParameterizedTest
  @MethodSource("fixtures")
  void cborStreamsToTheSameJsonAsItsDecodedValue(JsonNode f) throws Exception {
    var cbor = Base64.getDecoder().decode(f.get("cbor_base64").asText());
    var expected = DataJson.toJsonString(DagCbor.decode(cbor));
    var factory = new com.fasterxml.jackson.core.JsonFactory();
    var bytes = new java.io.ByteArrayOutputStream();
    try (var gen = factory.createGenerator(bytes)) { // UTF-8 generator: text copied as bytes
      DataJson.writeCborAsJson(cbor, gen);
    }
    assertThat(bytes.toString(java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(expected);
    var chars = new java.io.StringWriter();
    try (var gen = factory.createGenerator(chars)) { // character generator: text as strings
      DataJson.writeCborAsJson(cbor, gen);
    }
    assertThat(chars.toString()).isEqualTo(expected);
    assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(expected)).isEqualTo(f.get("json"));
  }

  @Test
  void cborWithEscapesAndUnicodeStreamsAsJson() throws Exception {
    var value = Map.<String, Object>of("t", "quote \" back \\ nl \n tab \t ctl \u0001 é 😀", "n", -5L, "b", new byte[] {1, 2});
    var cbor = DagCbor.encode(value);
    var bytes = new java.io.ByteArrayOutputStream();
    try (var gen = new com.fasterxml.jackson.core.JsonFactory().createGenerator(bytes)) {
      DataJson.writeCborAsJson(cbor, gen);
    }
    // the decoded value has the canonical key order the stream writes in (Map.of iterates in a random order)
    assertThat(bytes.toString(java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(DataJson.toJsonString(DagCbor.decode(cbor)));
  }

  @ParameterizedTest
  @MethodSource("valid")
  void validDataIsAccepted(JsonNode c) {
    var value = DataJson.fromJson(c.get("json"));
    var cbor = DagCbor.encode(value);
    assertThat(DagCbor.encode(DagCbor.decode(cbor))).isEqualTo(cbor);
    assertThat(DataJson.toJson(DagCbor.decode(cbor)).isObject()).isTrue();
  }

  @ParameterizedTest
  @MethodSource("invalid")
  void invalidDataIsRejected(JsonNode c) {
    assertThatThrownBy(() -> DataJson.fromJson(c.get("json"))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void vectorsArePresent() {
    assertThat(fixtures().count()).isEqualTo(3);
    assertThat(valid().count()).isGreaterThanOrEqualTo(5);
    assertThat(invalid().count()).isGreaterThanOrEqualTo(12);
  }

  @Test
  void integralFloatBecomesLong() {
    assertThat(DataJson.fromJson("{\"a\": 123.0, \"b\": -5}")).containsEntry("a", 123L).containsEntry("b", -5L);
    assertThat(DataJson.fromJson("{\"a\": 9223372036854775807}")).containsEntry("a", Long.MAX_VALUE);
  }

  @Test
  void rejectsNonDataModelJson() {
    for (var bad : List.of("{\"a\": 1.5}", "{\"a\": 1e400}", "{\"a\": 9223372036854775808}", "{\"a\": 1, \"a\": 2}",
        "[1]", "{\"a\": \"\\ud800\"}", "{\"a\": {\"$link\": \"QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR\"}}",
        "{\"a\": {\"$bytes\": \"!!\"}}", "{bad json")) {
      assertThatThrownBy(() -> DataJson.fromJson(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void blobRefIsACid() {
    var json = "{\"$type\":\"blob\",\"ref\":{\"$link\":\"bafkreiccldh766hwcnuxnf2wh6jgzepf2nlu2lvcllt63eww5p6chi4ity\"},"
        + "\"mimeType\":\"image/jpeg\",\"size\":10000}";
    var blob = DataJson.fromJson(json);
    assertThat(blob.get("ref")).isInstanceOf(Cid.class);
    assertThat(blob.get("size")).isEqualTo(10000L);
    assertThat(DataJson.toJsonString(blob)).isEqualTo(json);
    var extraKey = json.substring(0, json.length() - 1) + ",\"x\":1}";
    assertThatThrownBy(() -> DataJson.fromJson(extraKey)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void bytesAndLinksSerialize() {
    var value = Map.<String, Object>of("b", new byte[] {1, 2, 3, 4}, "l", Cid.ofRaw(new byte[0]));
    var json = DataJson.toJson(value);
    assertThat(json.get("b").get("$bytes").asText()).isEqualTo("AQIDBA");
    assertThat(json.get("l").get("$link").asText()).startsWith("bafkrei");
    assertThat((byte[]) DataJson.fromJson(json).get("b")).containsExactly(1, 2, 3, 4);
  }
}
