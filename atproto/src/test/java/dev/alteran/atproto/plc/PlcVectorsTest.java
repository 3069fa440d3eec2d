package dev.alteran.atproto.plc;

import static dev.alteran.atproto.plc.PlcVectors.didKey;
import static dev.alteran.atproto.plc.PlcVectors.key;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Our encoding, signing, hashing and verification against operations the reference library (@did-plc/lib) made. */
class PlcVectorsTest {
    static Stream<Arguments> steps() {
        var out = new ArrayList<Arguments>();
        for (var log : PlcVectors.ROOT.get("logs")) {
            var ops = log.get("ops");
            for (int i = 0; i < ops.size(); i++) {
                out.add(Arguments.of(log.get("name").asText() + " #" + i + " " + ops.get(i).get("signed").get("type").asText(), log, i));
            }
        }
        return out.stream();
    }

    @Test
    void keysGiveTheSameDidKeys() {
        PlcVectors.ROOT.get("keys").properties().forEach(e ->
                assertThat(key(e.getKey()).didKey()).as(e.getKey()).isEqualTo(e.getValue().get("didKey").asText()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void sameBytesSameSignatureSameCid(String name, JsonNode log, int i) {
        var v = log.get("ops").get(i);
        var unsigned = PlcJson.parseOp(v.get("unsigned"));
        var signed = PlcJson.parseOp(v.get("signed"));

        // What the reference signed is our DAG-CBOR of the unsigned operation, byte for byte.
        assertThat(HexFormat.of().formatHex(unsigned.unsignedBytes())).isEqualTo(v.get("unsignedCborHex").asText());
        assertThat(signed.unsignedBytes()).isEqualTo(unsigned.unsignedBytes());
        assertThat(HexFormat.of().formatHex(signed.bytes())).isEqualTo(v.get("signedCborHex").asText());
        assertThat(signed.cid().toString()).isEqualTo(v.get("cid").asText());

        // Deterministic low-S ECDSA on both sides: the same key gives the very same signature.
        var signer = v.get("signer").asText();
        var ours = unsigned.sign(key(signer));
        assertThat(ours.sig()).isEqualTo(signed.sig());
        assertThat(ours).isEqualTo(signed);

        // Their signature verifies here, under the signer's did:key and no other.
        assertThat(signed.signer(List.of(didKey("outsider"), didKey(signer)))).contains(didKey(signer));
        assertThat(signed.signer(List.of(didKey("outsider")))).isEmpty();

        // JSON goes back out as it came in.
        assertThat(PlcJson.toJson(signed)).isEqualTo(v.get("signed"));
        assertThat(PlcJson.toJson(unsigned)).isEqualTo(v.get("unsigned"));

        if (i == 0) assertThat(Plc.didForGenesis(signed)).isEqualTo(log.get("did").asText());
        else assertThat(signed.prev()).isEqualTo(log.get("ops").get(i - 1).get("cid").asText());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void verifiedLogEndsInTheReferenceState(String name, JsonNode log, int i) {
        var ops = PlcVectors.ops(log.get("name").asText()).subList(0, i + 1);
        var history = Plc.verifyLog(log.get("did").asText(), ops);
        var expected = log.get("ops").get(i).get("dataAfter");
        if (expected.isNull()) {
            assertThat(history.tombstoned()).isTrue();
        } else {
            assertThat(history.data()).contains(PlcJson.parseData(expected.toString()));
            assertThat(PlcJson.toJson(history.data().orElseThrow())).isEqualTo(expected);
        }
        assertThat(history.head().toString()).isEqualTo(log.get("ops").get(i).get("cid").asText());
    }

    /** The same log built with our own API, not parsed: every operation equals the reference's. */
    @Test
    void ourBuildersMakeTheReferenceLog() {
        var expected = PlcVectors.ops("plc_operation");
        var genesis = PlcOperation.atproto(List.of(didKey("rotationP256"), didKey("rotationK256")), didKey("signingK256"),
                "alice.test", "https://pds.alice.test").sign(key("rotationK256"));
        var handle = PlcOperation.after(genesis).withHandle("alice.example.com").sign(key("rotationP256"));
        var move = PlcOperation.after(handle).withPdsEndpoint("https://new-pds.example.com").sign(key("rotationK256"));
        var atprotoKey = PlcOperation.after(move).withAtprotoKey(didKey("signingP256")).sign(key("rotationP256"));
        var tombstone = PlcTombstone.after(atprotoKey).sign(key("rotationK256"));
        assertThat(List.<PlcOp>of(genesis, handle, move, atprotoKey, tombstone)).isEqualTo(expected);
        assertThat(Plc.didForGenesis(genesis)).isEqualTo(PlcVectors.did("plc_operation"));

        var legacy = new PlcLegacyCreate(didKey("signingK256"), didKey("rotationP256"), "bob.test", "https://pds.bob.test", null)
                .sign(key("signingK256"));
        var rotated = PlcOperation.after(legacy).withRotationKeys(List.of(didKey("rotationP256"), didKey("rotationK256")))
                .sign(key("rotationP256"));
        assertThat(List.<PlcOp>of(legacy, rotated)).isEqualTo(PlcVectors.ops("create"));
        assertThat(Plc.didForGenesis(legacy)).isEqualTo(PlcVectors.did("create"));
    }
}
