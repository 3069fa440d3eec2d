package dev.alteran.atproto.car;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.alteran.atproto.data.Cid;
import java.io.ByteArrayOutputStream;

/**
 * Fuzz target for the CAR reader. Without {@code JAZZER_FUZZ=1} it replays the saved inputs under
 * {@code src/test/resources/dev/alteran/atproto/car/CarReaderFuzzTestInputs/}; bench/fuzz.sh fuzzes it.
 */
class CarReaderFuzzTest {
  /**
   * Any bytes either read as a CAR or raise {@link CarException}, nothing else; a CAR that is
   * accepted holds only blocks matching their CIDs, so writing its roots and blocks again and
   * reading that back gives the same CAR.
   */
  @FuzzTest
  void readOnlyThrowsCarException(byte[] input) {
    CarFile car;
    try {
      car = CarReader.readAll(input);
    } catch (CarException e) {
      return;
    }
    var out = new ByteArrayOutputStream();
    try (var w = new CarWriter(out, car.roots())) {
      car.blocks().forEach((Cid cid, byte[] bytes) -> w.write(cid, bytes));
    }
    var again = CarReader.readAll(out.toByteArray());
    assertEquals(car.roots(), again.roots());
    assertEquals(car.blocks().keySet(), again.blocks().keySet());
  }
}
