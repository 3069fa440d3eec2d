package dev.alteran.atproto.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * Fuzz targets for the DAG-CBOR decoder. Without {@code JAZZER_FUZZ=1} they replay the saved inputs
 * under {@code src/test/resources/dev/alteran/atproto/data/DagCborFuzzTestInputs/}; bench/fuzz.sh fuzzes them.
 */
class DagCborFuzzTest {
  private static final JsonFactory JSON = new JsonFactory();
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /**
   * Any bytes either decode or raise {@link DagCborException}, nothing else; and since the decoder
   * accepts only strict, canonical DAG-CBOR, what it accepts re-encodes to the same bytes.
   */
  @FuzzTest
  void decodeIsStrictAndCanonical(byte[] input) {
    Object value;
    try {
      value = DagCbor.decode(input);
    } catch (DagCborException e) {
      return;
    }
    assertArrayEquals(input, DagCbor.encode(value), "decode then encode must give the input back");
  }

  /**
   * The read path of stored records streams DAG-CBOR straight to JSON with its own copy of the
   * checks ({@link DataJson#writeCborAsJson}): it refuses exactly what {@link DagCbor#decode}
   * refuses, and for the rest writes the same JSON value as {@code writeJson(decode(x))} (not the
   * same bytes: from a Java string, characters beyond the BMP come out as escaped surrogate pairs;
   * copied UTF-8 stays as it is).
   */
  @FuzzTest
  void cborAsJsonAgreesWithDecode(byte[] input) throws IOException {
    Object value = null;
    DagCborException refused = null;
    try {
      value = DagCbor.decode(input);
    } catch (DagCborException e) {
      refused = e;
    }
    var streamed = new ByteArrayOutputStream();
    try (var g = JSON.createGenerator(streamed)) { // a UTF-8 generator: the path that copies text as is
      DataJson.writeCborAsJson(input, g);
    } catch (DagCborException e) {
      assertNotNull(refused, "writeCborAsJson refused what decode accepts: " + e.getMessage());
      return;
    }
    assertNull(refused, "writeCborAsJson accepted what decode refuses");
    var built = new ByteArrayOutputStream();
    try (var g = JSON.createGenerator(built)) {
      DataJson.writeJson(value, g);
    }
    assertEquals(MAPPER.readTree(built.toByteArray()), MAPPER.readTree(streamed.toByteArray()), "streamed JSON differs from the decoded value's");
  }
}
