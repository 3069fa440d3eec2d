package dev.alteran.atproto.lexicon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.alteran.atproto.data.DagCbor;
import dev.alteran.atproto.data.DataJson;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Fuzz target for the Lexicon validation of records as clients send them (atproto JSON, against the
 * bundled schemas). An input is the collection NSID, a newline, and the record's JSON. Without
 * {@code JAZZER_FUZZ=1} it replays the saved inputs under
 * {@code src/test/resources/dev/alteran/atproto/lexicon/RecordValidationFuzzTestInputs/}; bench/fuzz.sh fuzzes it.
 */
class RecordValidationFuzzTest {
  private static final Lexicons LEXICONS = Lexicons.loadBundled();
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /**
   * Validation answers (valid, invalid with reasons, or unknown) for any JSON value, never an
   * exception; an invalid answer gives at least one reason. A valid record is in the data model: it
   * converts to DAG-CBOR, and what decodes from that validates again (the stored form of a record
   * that was accepted is still valid when it is read back, by us or by a relay).
   */
  @FuzzTest
  void validationAnswersAndValidRecordsRoundTrip(byte[] input) {
    int newline = 0;
    while (newline < input.length && input[newline] != '\n') newline++;
    var collection = new String(input, 0, newline, StandardCharsets.UTF_8);
    JsonNode record;
    try {
      record = MAPPER.readTree(Arrays.copyOfRange(input, Math.min(newline + 1, input.length), input.length));
    } catch (java.io.IOException e) { // not JSON (Jackson's encoding detection refuses some bytes this way too)
      return;
    }
    var result = LEXICONS.validateRecord(collection, record);
    if (result.status() == ValidationResult.Status.INVALID && result.errors().isEmpty()) {
      throw new AssertionError("an invalid answer without a reason");
    }
    if (result.status() != ValidationResult.Status.VALID) return;
    var value = DataJson.fromJson(record);
    var decoded = DagCbor.decodeMap(DagCbor.encode(value));
    assertEquals(ValidationResult.Status.VALID, LEXICONS.validateRecord(collection, decoded).status(),
        () -> "valid as JSON, not after DAG-CBOR: " + LEXICONS.validateRecord(collection, decoded).errors());
  }
}
