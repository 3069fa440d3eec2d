package dev.alteran.atproto.plc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Fuzz target for what the PLC directory sends: an audit log ({@code /:did/log/audit}), read by
 * {@link PlcJson#parseAuditLog} and checked by {@link Plc#verifyAuditLog} before the server trusts a
 * key or an endpoint in it, and the state ({@code /:did/data}). Without {@code JAZZER_FUZZ=1} it
 * replays the saved inputs under {@code src/test/resources/dev/alteran/atproto/plc/PlcFuzzTestInputs/};
 * bench/fuzz.sh fuzzes it. The seeds are logs signed with test keys.
 */
class PlcFuzzTest {
  /**
   * Any text is either an audit log or a {@link PlcException}, nothing else; each parsed operation
   * writes back to JSON that parses to the same operation (so its CID, which the next operation's
   * {@code prev} names, is the one the directory computed). Verifying the log raises only
   * {@link PlcException}, and a verified log starts with the genesis operation of its DID. The same
   * text as the directory's {@code /:did/data} is read or refused the same way.
   */
  @FuzzTest
  void auditLogParsesAndVerifiesOrThrowsPlcException(byte[] input) {
    var json = new String(input, StandardCharsets.UTF_8);
    try {
      var data = PlcJson.parseData(json);
      assertEquals(data, PlcJson.parseData(PlcJson.toJson(data).toString()));
    } catch (PlcException e) {
      // refused: the property holds
    }
    java.util.List<PlcAuditEntry> entries;
    try {
      entries = PlcJson.parseAuditLog(json);
    } catch (PlcException e) {
      return;
    }
    for (var entry : entries) {
      var op = entry.operation();
      assertEquals(op, PlcJson.parseOp(PlcJson.toJsonString(op)), "an operation must write back as itself");
    }
    if (entries.isEmpty()) return;
    var did = entries.getFirst().did();
    try {
      var history = Plc.verifyAuditLog(did, entries);
      assertEquals(did, Plc.didForGenesis(history.ops().getFirst()));
      assertTrue(history.ops().getFirst().prev() == null);
    } catch (PlcException e) {
      // refused: the property holds
    }
  }
}
