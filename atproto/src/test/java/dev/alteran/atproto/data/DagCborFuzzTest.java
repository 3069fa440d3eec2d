package dev.alteran.atproto.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzz targets for the DAG-CBOR decoder. Without {@code JAZZER_FUZZ=1} they replay the saved inputs
 * under {@code src/test/resources/dev/alteran/atproto/data/DagCborFuzzTestInputs/}; bench/fuzz.sh fuzzes them.
 */
class DagCborFuzzTest {
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
}
