package dev.alteran.atproto.repo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.data.DagCbor;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CommitTest {
    static final Keypair KEY = Keypair.fromPrivateKey(Curve.K256, new byte[] {
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32});
    static final Cid DATA = Cid.parse("bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm");

    @Test
    void signsTheUnsignedEncodingAndRoundTrips() {
        var unsigned = new UnsignedCommit("did:plc:abc", DATA, "3jzfcijpj2z2a");
        var commit = unsigned.sign(KEY);
        assertThat(commit.version()).isEqualTo(3);
        assertThat(commit.sig()).hasSize(64);
        assertThat(commit.verify(KEY.publicKey())).isTrue();
        assertThat(KEY.publicKey().verify(unsigned.encode(), commit.sig())).isTrue();

        var bytes = commit.encode();
        var decoded = Commit.decode(bytes);
        assertThat(decoded).isEqualTo(commit);
        assertThat(decoded.cid()).isEqualTo(Cid.ofDagCbor(bytes));
        assertThat(decoded.verify(KEY.publicKey())).isTrue();
    }

    @Test
    void encodingHasTheSpecFieldsWithExplicitNullPrev() {
        var commit = new UnsignedCommit("did:plc:abc", DATA, "3jzfcijpj2z2a").sign(KEY);
        Map<String, Object> m = DagCbor.decodeMap(commit.encode());
        assertThat(m).containsOnlyKeys("did", "version", "data", "rev", "prev", "sig");
        assertThat(m).containsEntry("version", 3L).containsEntry("prev", null).containsEntry("data", DATA);
        // The signed message is the same map without sig.
        var unsigned = new HashMap<>(m);
        unsigned.remove("sig");
        assertThat(DagCbor.encode(unsigned)).isEqualTo(commit.unsigned().encode());
    }

    @Test
    void rejectsWrongKeyAndTampering() {
        var commit = new UnsignedCommit("did:plc:abc", DATA, "3jzfcijpj2z2a").sign(KEY);
        assertThat(commit.verify(Keypair.generate(Curve.K256).publicKey())).isFalse();
        var tampered = new Commit("did:plc:abd", 3, DATA, commit.rev(), null, commit.sig());
        assertThat(tampered.verify(KEY.publicKey())).isFalse();
        var p256 = Keypair.generate(Curve.P256);
        var signedP256 = new UnsignedCommit("did:plc:abc", DATA, "3jzfcijpj2z2a").sign(p256);
        assertThat(signedP256.verify(p256.publicKey())).isTrue();
    }

    @Test
    void decodeIsStrict() {
        var commit = new UnsignedCommit("did:plc:abc", DATA, "3jzfcijpj2z2a").sign(KEY);
        var base = commit.toData();

        var extra = new HashMap<>(base);
        extra.put("extra", "x");
        assertThatThrownBy(() -> Commit.decode(DagCbor.encode(extra))).isInstanceOf(RepoException.class);

        var noPrev = new HashMap<>(base);
        noPrev.remove("prev");
        assertThatThrownBy(() -> Commit.decode(DagCbor.encode(noPrev))).isInstanceOf(RepoException.class);

        var v4 = new HashMap<>(base);
        v4.put("version", 4L);
        assertThatThrownBy(() -> Commit.decode(DagCbor.encode(v4))).isInstanceOf(RepoException.class);

        var noRev = new HashMap<>(base);
        noRev.remove("rev");
        assertThatThrownBy(() -> Commit.decode(DagCbor.encode(noRev))).isInstanceOf(RepoException.class);

        assertThatThrownBy(() -> Commit.decode(new byte[] {1, 2, 3})).isInstanceOf(RepoException.class);
    }

    /** Breaks RepoDecodeFuzzTest's round trip (its input commit-v2-rev-null): a v2 commit with {@code rev: null} was accepted and re-encoded without it, a different CID. */
    @Test
    void v2CommitWithNullRevIsRefused() {
        var v2 = new UnsignedCommit("did:plc:abc", 2, DATA, null, null).sign(KEY);
        assertThat(Commit.decode(v2.encode())).isEqualTo(v2); // v2 without rev is fine
        var nullRev = new HashMap<>(v2.toData());
        nullRev.put("rev", null);
        assertThatThrownBy(() -> Commit.decode(DagCbor.encode(nullRev)))
                .isInstanceOf(RepoException.class).hasMessageContaining("rev");
    }
}
