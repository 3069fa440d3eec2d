package dev.alteran.atproto.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class CidTest {
  // Lines of cid_syntax_valid.txt that are syntactically plausible but do not decode to a real CID
  // (bases we do not support, or contrived multihashes). The syntax check accepts them; parse does not.
  private static final Set<String> SYNTAX_ONLY = Set.of(
      "mBcDxtdWx0aWhhc2g+", "z7x3CtScH765HvShXT", "7134036155352661643226414134664076",
      "f017012202c5f688262e0ece8569aa6f94d60aad55ca8d9d83734e4a7430d0cff6588ec2b");
  private static final String CIDV0 = "QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR";

  static Stream<String> validLines() {
    return Interop.lines("syntax/cid_syntax_valid.txt").stream();
  }

  static Stream<String> invalidLines() {
    return Interop.lines("syntax/cid_syntax_invalid.txt").stream();
  }

  @ParameterizedTest
  @MethodSource("validLines")
  void validSyntax(String s) {
    assertThat(Cid.isValidSyntax(s)).isTrue();
    if (SYNTAX_ONLY.contains(s)) {
      assertThatThrownBy(() -> Cid.parse(s)).isInstanceOf(IllegalArgumentException.class);
    } else {
      var cid = Cid.parse(s);
      assertThat(cid.version()).isEqualTo(1);
      assertThat(Cid.fromBytes(cid.bytes())).isEqualTo(cid);
      assertThat(Cid.parse(cid.toString())).isEqualTo(cid);
    }
  }

  @ParameterizedTest
  @MethodSource("invalidLines")
  void invalidSyntax(String s) {
    assertThat(Cid.isValidSyntax(s)).isFalse();
    if (s.equals(CIDV0)) {
      // The API contract still reads legacy CIDv0 strings; atproto data never carries them.
      assertThat(Cid.parse(s).version()).isZero();
    } else {
      assertThatThrownBy(() -> Cid.parse(s)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void vectorFilesAreNotEmpty() {
    assertThat(validLines().count()).isGreaterThanOrEqualTo(8);
    assertThat(invalidLines().count()).isGreaterThanOrEqualTo(8);
    assertThat(validLines().filter(SYNTAX_ONLY::contains).count()).isEqualTo(SYNTAX_ONLY.size());
  }

  @Test
  void dagCborCidOfKnownBlock() {
    var block = java.util.Base64.getDecoder().decode(
        Interop.json("data-model/data-model-fixtures.json").get(0).get("cbor_base64").asText());
    var cid = Cid.ofDagCbor(block);
    assertThat(cid.toString()).isEqualTo("bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq");
    assertThat(cid.version()).isEqualTo(1);
    assertThat(cid.codec()).isEqualTo(Cid.DAG_CBOR);
    assertThat(cid.byteLength()).isEqualTo(36);
    assertThat(cid.digest()).hasSize(32);
    assertThat(cid.matches(block)).isTrue();
    block[0] ^= 1;
    assertThat(cid.matches(block)).isFalse();
  }

  @Test
  void rawCid() {
    // sha256("hello world") under the raw codec, a widely published value.
    var cid = Cid.ofRaw("hello world".getBytes(StandardCharsets.US_ASCII));
    assertThat(cid.toString()).isEqualTo("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
    assertThat(cid.codec()).isEqualTo(Cid.RAW);
  }

  @Test
  void parseFormatRoundTripAndBase58() {
    var s = "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a";
    var cid = Cid.parse(s);
    assertThat(cid.toString()).isEqualTo(s);
    var z = Multibase.encode(Multibase.BASE58BTC, cid.bytes());
    assertThat(Cid.parse(z)).isEqualTo(cid);
    assertThat(Cid.parse(z).toString()).isEqualTo(s);
    assertThat(Cid.parse(s).hashCode()).isEqualTo(cid.hashCode());
  }

  @Test
  void readFromOffset() {
    var cid = Cid.ofRaw(new byte[] {1, 2, 3});
    var buf = new byte[cid.byteLength() + 10];
    cid.copyTo(buf, 5);
    var read = Cid.readFrom(buf, 5);
    assertThat(read).isEqualTo(cid);
    assertThat(read.byteLength()).isEqualTo(36);
  }

  @Test
  void rejectsBadInput() {
    var good = "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a";
    for (var bad : new String[] {"", "b", good.toUpperCase(), "B" + good.substring(1).toUpperCase(),
        good.substring(0, good.length() - 1), good + "a", good.replace('a', '1'), "bafyrei", "zzzz", null}) {
      assertThatThrownBy(() -> Cid.parse(bad)).as(String.valueOf(bad)).isInstanceOf(IllegalArgumentException.class);
    }
    var bytes = Cid.parse(good).bytes();
    assertThatThrownBy(() -> Cid.fromBytes(java.util.Arrays.copyOf(bytes, 35))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Cid.fromBytes(java.util.Arrays.copyOf(bytes, 37))).isInstanceOf(IllegalArgumentException.class);
    var v2 = bytes.clone();
    v2[0] = 2;
    assertThatThrownBy(() -> Cid.fromBytes(v2)).isInstanceOf(IllegalArgumentException.class);
    var shortSha = bytes.clone();
    shortSha[3] = 31;
    assertThatThrownBy(() -> Cid.fromBytes(java.util.Arrays.copyOf(shortSha, 35))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void orderingIsUnsignedBytewise() {
    var a = Cid.fromBytes(Interop.hex("01711220" + "00".repeat(32)));
    var b = Cid.fromBytes(Interop.hex("01711220" + "ff".repeat(32)));
    var raw = Cid.fromBytes(Interop.hex("01551220" + "ff".repeat(32)));
    assertThat(a).isLessThan(b);
    assertThat(raw).isLessThan(a);
    assertThat(a).isEqualTo(Cid.fromBytes(a.bytes())).isNotEqualTo(b);
  }

  @Test
  void fromIncrementalDigestEqualsOneShot() throws Exception {
    var data = "hello world".getBytes(StandardCharsets.US_ASCII);
    var md = java.security.MessageDigest.getInstance("SHA-256");
    md.update(data, 0, 5);
    md.update(data, 5, data.length - 5);
    var cid = Cid.ofSha256Digest(Cid.RAW, md.digest());
    assertThat(cid).isEqualTo(Cid.ofRaw(data));
    assertThat(cid.toString()).isEqualTo("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
    assertThat(cid.codec()).isEqualTo(Cid.RAW);
    assertThatThrownBy(() -> Cid.ofSha256Digest(Cid.RAW, new byte[31])).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Cid.ofSha256Digest(0x80, new byte[32])).isInstanceOf(IllegalArgumentException.class);
  }
}
