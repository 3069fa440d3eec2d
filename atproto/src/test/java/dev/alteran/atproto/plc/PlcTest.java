package dev.alteran.atproto.plc;

import static dev.alteran.atproto.plc.PlcVectors.didKey;
import static dev.alteran.atproto.plc.PlcVectors.key;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.util.BigIntegers;
import org.junit.jupiter.api.Test;

/** What must fail: tampering, wrong keys, broken chains, non-canonical signatures, malformed JSON, rule breaks. */
class PlcTest {
    static final String DID = PlcVectors.did("plc_operation");
    static final List<PlcOp> LOG = PlcVectors.ops("plc_operation");

    static PlcOperation op(int i) {
        return (PlcOperation) LOG.get(i);
    }

    @Test
    void tamperedOperationNoLongerVerifies() {
        var genesis = op(0);
        var keys = genesis.rotationKeys();
        assertThat(genesis.signer(keys)).contains(didKey("rotationK256"));
        var tampered = new PlcOperation(keys, genesis.verificationMethods(), List.of("at://mallory.test"), genesis.services(),
                null, genesis.sig());
        assertThat(tampered.signer(keys)).isEmpty();
        // Same state, one bit of the signature flipped.
        var sig = Plc.decodeSig(genesis.sig());
        sig[10] ^= 1;
        assertThat(genesis.withSig(Base64.getUrlEncoder().withoutPadding().encodeToString(sig)).signer(keys)).isEmpty();
        assertThat(genesis.withSig(null).signer(keys)).isEmpty();
    }

    @Test
    void updateSignedByAKeyNotInThePreviousOperationIsRefused() {
        // The outsider puts itself in rotationKeys and signs: its own op cannot authorise it.
        var grab = PlcOperation.after(op(1)).withRotationKeys(List.of(didKey("outsider"))).sign(key("outsider"));
        assertThat(grab.signer(grab.rotationKeys())).isPresent();
        assertThatThrownBy(() -> Plc.verifyLog(DID, List.of(op(0), op(1), grab)))
                .isInstanceOf(PlcException.class).hasMessageContaining("operation 2: not signed by a rotation key");
        // The atproto signing key is a verification method, not a rotation key.
        var bySigningKey = PlcOperation.after(op(0)).withHandle("x.test").sign(key("signingK256"));
        assertThatThrownBy(() -> Plc.verifyLog(DID, List.of(op(0), bySigningKey))).isInstanceOf(PlcException.class);
    }

    @Test
    void brokenChainIsRefused() {
        assertThatThrownBy(() -> Plc.verifyLog(DID, List.of(op(0), op(2))))
                .isInstanceOf(PlcException.class).hasMessageContaining("operation 1: prev is " + op(2).prev());
        assertThatThrownBy(() -> Plc.verifyLog(DID, List.of(op(1), op(2))))
                .isInstanceOf(PlcException.class).hasMessageContaining("genesis operation has prev null");
        var noPrev = op(1).withPrev(null).sign(key("rotationK256"));
        assertThatThrownBy(() -> Plc.verifyLog(DID, List.of(op(0), noPrev))).hasMessageContaining("operation 1: has no prev");
        assertThatThrownBy(() -> op(1).withPrev("not-a-cid").sign(key("rotationK256"))).hasMessageContaining("prev is not a CID");
        var garbagePrev = op(1).withPrev("not-a-cid").withSig(op(1).sig()); // as if read from elsewhere
        assertThatThrownBy(() -> Plc.verifyLog(DID, List.of(op(0), garbagePrev))).hasMessageContaining("operation 1: prev is not a CID");
    }

    @Test
    void nothingAfterATombstoneAndNoTombstoneFirst() {
        var tombstone = LOG.get(4);
        var after = new PlcTombstone(tombstone.cid().toString(), null).sign(key("rotationK256"));
        var log = new ArrayList<>(LOG);
        log.add(after);
        assertThatThrownBy(() -> Plc.verifyLog(DID, log)).hasMessageContaining("operation 5: follows a tombstone");
        assertThatThrownBy(() -> Plc.verifyLog(DID, List.of(tombstone))).hasMessageContaining("starts with a tombstone");
        assertThatThrownBy(() -> PlcOperation.after(tombstone)).isInstanceOf(PlcException.class);
        assertThatThrownBy(() -> PlcTombstone.after(tombstone)).isInstanceOf(PlcException.class);
    }

    @Test
    void genesisMustHashToTheDid() {
        var other = PlcVectors.did("create");
        assertThatThrownBy(() -> Plc.verifyLog(other, LOG.subList(0, 1)))
                .hasMessageContaining("is that of " + DID + ", not " + other);
        assertThatThrownBy(() -> Plc.verifyLog("did:web:example.com", LOG)).hasMessageContaining("not a did:plc");
        // Signed by a key that is not among its own rotation keys.
        var selfless = op(0).withSig(null).sign(key("outsider"));
        assertThatThrownBy(() -> Plc.verifyLog(Plc.didForGenesis(selfless), List.of(selfless)))
                .hasMessageContaining("does not verify under its own rotation keys");
    }

    @Test
    void legacyCreateOnlyAsGenesis() {
        var legacy = PlcVectors.ops("create").get(0);
        assertThat(Plc.verifyLog(PlcVectors.did("create"), List.of(legacy)).data().orElseThrow().rotationKeys())
                .containsExactly(didKey("rotationP256"), didKey("signingK256"));
        assertThatThrownBy(() -> Plc.verifyLog(DID, List.of(op(0), legacy))).hasMessageContaining("legacy create can only be the genesis");
        // Its DID is the hash of the legacy form, not of the normalized one.
        assertThat(Plc.didForGenesis(((PlcLegacyCreate) legacy).normalize())).isNotEqualTo(PlcVectors.did("create"));
    }

    @Test
    void highSSignatureIsRefused() {
        for (var name : List.of("rotationK256", "rotationP256")) {
            var k = key(name);
            var signed = op(0).withSig(null).withRotationKeys(List.of(k.didKey())).sign(k);
            var sig = Plc.decodeSig(signed.sig());
            var n = CustomNamedCurves.getByName(k.curve() == Curve.K256 ? "secp256k1" : "secp256r1").getN();
            var highS = n.subtract(new BigInteger(1, sig, 32, 32)); // (r, n-s) is the same signature, mathematically
            BigIntegers.asUnsignedByteArray(highS, sig, 32, 32);
            var malleated = signed.withSig(Base64.getUrlEncoder().withoutPadding().encodeToString(sig));
            assertThat(signed.signer(List.of(k.didKey()))).as(name).isPresent();
            assertThat(malleated.signer(List.of(k.didKey()))).as(name).isEmpty();
        }
    }

    @Test
    void onlyTheCanonicalSigSpellingIsAccepted() {
        var genesis = op(0);
        var keys = genesis.rotationKeys();
        var sig = genesis.sig();
        assertThat(sig).hasSize(86);
        assertThat(genesis.withSig(sig + "==").signer(keys)).isEmpty();
        var std = Base64.getEncoder().withoutPadding().encodeToString(Plc.decodeSig(sig));
        if (!std.equals(sig)) assertThat(genesis.withSig(std).signer(keys)).isEmpty();
        // The last character carries 4 unused bits; setting one decodes (in the JDK) to the same bytes, but is another spelling.
        var alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        int last = alphabet.indexOf(sig.charAt(85));
        var respelled = sig.substring(0, 85) + alphabet.charAt(last ^ 1);
        assertThat(Base64.getUrlDecoder().decode(respelled)).isEqualTo(Plc.decodeSig(sig));
        assertThat(genesis.withSig(respelled).signer(keys)).isEmpty();
        assertThatThrownBy(() -> Plc.decodeSig(respelled)).isInstanceOf(PlcException.class);
    }

    @Test
    void rulesForNewOperations() {
        var base = op(0).withSig(null);
        var six = List.of(didKey("rotationK256"), didKey("rotationP256"), didKey("signingK256"), didKey("signingP256"),
                didKey("outsider"), Keypair.generate(Curve.K256).didKey());
        assertThatThrownBy(() -> base.withRotationKeys(six).sign(key("rotationK256"))).hasMessageContaining("1 to 5 rotation keys");
        assertThat(base.withRotationKeys(six.subList(0, 5)).sign(key("rotationK256")).isSigned()).isTrue();
        assertThatThrownBy(() -> base.withRotationKeys(List.of()).sign(key("rotationK256"))).hasMessageContaining("1 to 5");
        assertThatThrownBy(() -> base.withRotationKeys(List.of(didKey("outsider"), didKey("outsider"))).sign(key("outsider")))
                .hasMessageContaining("duplicate rotation key");
        // An ed25519 did:key may be a verification method (spec v0.2), never a rotation key.
        var ed25519 = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
        assertThat(base.withAtprotoKey(ed25519).sign(key("rotationK256")).isSigned()).isTrue();
        assertThatThrownBy(() -> base.withRotationKeys(List.of(ed25519)).sign(key("rotationK256"))).hasMessageContaining("rotation key is not");
        assertThatThrownBy(() -> base.withAtprotoKey("did:web:example.com").sign(key("rotationK256"))).hasMessageContaining("not a did:key");
        var many = new java.util.LinkedHashMap<String, String>();
        for (int i = 0; i < 11; i++) many.put("k" + i, didKey("signingK256"));
        assertThatThrownBy(() -> new PlcOperation(base.rotationKeys(), many, base.alsoKnownAs(), base.services(), null, null)
                .sign(key("rotationK256"))).hasMessageContaining("at most 10 verification methods");
        var big = new PlcOperation(base.rotationKeys(), base.verificationMethods(), Collections.nCopies(100, "at://" + "a".repeat(80)),
                base.services(), null, null);
        assertThatThrownBy(() -> big.sign(key("rotationK256"))).hasMessageContaining("at most 7500");
        assertThatThrownBy(() -> base.withPdsEndpoint("pds.example.com")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void strictJson() {
        var json = PlcJson.toJsonString(op(1));
        assertThat(PlcJson.parseOp(json)).isEqualTo(op(1));
        assertThatThrownBy(() -> PlcJson.parseOp(json.replace("{\"type\"", "{\"extra\":1,\"type\""))).hasMessageContaining("unexpected field");
        assertThatThrownBy(() -> PlcJson.parseOp(PlcJson.toJsonString(op(0)).replace(",\"prev\":null", ""))).hasMessageContaining("prev is missing");
        assertThatThrownBy(() -> PlcJson.parseOp(json.replace("\"prev\":\"", "\"prev\":1,\"x\":\""))).isInstanceOf(PlcException.class);
        assertThatThrownBy(() -> PlcJson.parseOp("{\"type\":\"plc_tombstone\",\"prev\":null,\"sig\":\"x\"}")).hasMessageContaining("prev must be a string");
        assertThatThrownBy(() -> PlcJson.parseOp("{\"type\":\"plc_operation\",\"type\":\"plc_operation\"}")).hasMessageContaining("invalid JSON");
        assertThatThrownBy(() -> PlcJson.parseOp("{\"type\":\"plc_update\"}")).hasMessageContaining("unknown operation type");
        assertThatThrownBy(() -> PlcJson.parseOp(json.replace("\"AtprotoPersonalDataServer\"", "\"AtprotoPersonalDataServer\",\"x\":\"y\"")))
                .hasMessageContaining("unexpected field in services.atproto_pds");
    }

    @Test
    void auditLogChecksClaimedCidsAndSkipsNullifiedForks() {
        // A fork off op 1 that a higher key later overrode: in the audit log, but not part of the chain.
        var fork = PlcOperation.after(op(1)).withHandle("fork.test").sign(key("rotationK256"));
        var entries = new ArrayList<String>();
        for (int i = 0; i < 4; i++) {
            entries.add(entry(LOG.get(i), LOG.get(i).cid().toString(), false));
            if (i == 1) entries.add(entry(fork, fork.cid().toString(), true));
        }
        var history = Plc.verifyAuditLog(DID, PlcJson.parseAuditLog("[" + String.join(",", entries) + "]"));
        assertThat(history.ops()).isEqualTo(LOG.subList(0, 4));
        var data = history.data().orElseThrow();
        assertThat(data.handle()).contains("alice.example.com");
        assertThat(data.pdsEndpoint()).contains("https://new-pds.example.com");
        assertThat(data.atprotoKey()).contains(didKey("signingP256"));
        assertThat(data.rotationKeys()).containsExactly(didKey("rotationP256"), didKey("rotationK256"));

        var lying = new ArrayList<>(entries);
        lying.set(0, entry(LOG.get(0), LOG.get(1).cid().toString(), false));
        assertThatThrownBy(() -> Plc.verifyAuditLog(DID, PlcJson.parseAuditLog("[" + String.join(",", lying) + "]")))
                .hasMessageContaining("audit entry 0: claims cid");
        var notNullified = new ArrayList<>(entries);
        notNullified.set(2, entry(fork, fork.cid().toString(), false));
        assertThatThrownBy(() -> Plc.verifyAuditLog(DID, PlcJson.parseAuditLog("[" + String.join(",", notNullified) + "]")))
                .hasMessageContaining("operation 3: prev is");
    }

    private static String entry(PlcOp op, String cid, boolean nullified) {
        return "{\"did\":\"" + DID + "\",\"operation\":" + PlcJson.toJsonString(op) + ",\"cid\":\"" + cid
                + "\",\"nullified\":" + nullified + ",\"createdAt\":\"2024-01-01T00:00:00.000Z\"}";
    }

    @Test
    void dataHelpersFindTheAtprotoParts() {
        var data = new PlcData("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", List.of(didKey("rotationK256")), Map.of(),
                List.of("https://example.com", "at://first.test", "at://second.test"),
                Map.of("atproto_pds", new PlcService("SomethingElse", "https://pds.example.com")));
        assertThat(data.handle()).contains("first.test");
        assertThat(data.pdsEndpoint()).isEmpty();
        assertThat(data.atprotoKey()).isEmpty();
        assertThat(PlcData.of(DID, LOG.get(4))).isEmpty();
        var legacy = PlcData.of(PlcVectors.did("create"), PlcVectors.ops("create").get(0)).orElseThrow();
        assertThat(legacy.handle()).contains("bob.test");
        assertThat(legacy.pdsEndpoint()).contains("https://pds.bob.test");
        assertThat(legacy.atprotoKey()).contains(didKey("signingK256"));
    }

    @Test
    void withHandleReplacesTheFirstAtAliasOrPrependsOne() {
        var op = new PlcOperation(List.of(didKey("rotationK256")), Map.of(), List.of("https://me.example", "at://old.test", "at://other.test"),
                Map.of(), null, "sig");
        var changed = op.withHandle("new.test");
        assertThat(changed.alsoKnownAs()).containsExactly("https://me.example", "at://new.test", "at://other.test");
        assertThat(changed.sig()).isNull();
        var noHandle = new PlcOperation(op.rotationKeys(), Map.of(), List.of("https://me.example"), Map.of(), null, null);
        assertThat(noHandle.withHandle("new.test").alsoKnownAs()).containsExactly("at://new.test", "https://me.example");
    }
}
