package dev.alteran.atproto.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class DagCborTest {
  static Stream<Integer> fixtureIndexes() {
    return IntStream.range(0, Interop.json("data-model/data-model-fixtures.json").size()).boxed();
  }

  /** CBOR -> data model -> CBOR is byte-exact and hashes to the fixture CID. */
  @ParameterizedTest
  @MethodSource("fixtureIndexes")
  void fixtureCborRoundTrip(int i) {
    var f = Interop.json("data-model/data-model-fixtures.json").get(i);
    var cbor = Base64.getDecoder().decode(f.get("cbor_base64").asText());
    var value = DagCbor.decode(cbor);
    assertThat(DagCbor.encode(value)).isEqualTo(cbor);
    assertThat(Cid.ofDagCbor(cbor).toString()).isEqualTo(f.get("cid").asText());
    assertThat(DagCbor.cid(value).toString()).isEqualTo(f.get("cid").asText());
  }

  @Test
  void scalarsEncodeCanonically() {
    assertThat(DagCbor.encode(0L)).isEqualTo(Interop.hex("00"));
    assertThat(DagCbor.encode(23)).isEqualTo(Interop.hex("17"));
    assertThat(DagCbor.encode(24L)).isEqualTo(Interop.hex("1818"));
    assertThat(DagCbor.encode(255L)).isEqualTo(Interop.hex("18ff"));
    assertThat(DagCbor.encode(256L)).isEqualTo(Interop.hex("190100"));
    assertThat(DagCbor.encode(65536L)).isEqualTo(Interop.hex("1a00010000"));
    assertThat(DagCbor.encode(4294967296L)).isEqualTo(Interop.hex("1b0000000100000000"));
    assertThat(DagCbor.encode(-1L)).isEqualTo(Interop.hex("20"));
    assertThat(DagCbor.encode(-25L)).isEqualTo(Interop.hex("3818"));
    assertThat(DagCbor.encode(Long.MAX_VALUE)).isEqualTo(Interop.hex("1b7fffffffffffffff"));
    assertThat(DagCbor.encode(Long.MIN_VALUE)).isEqualTo(Interop.hex("3b7fffffffffffffff"));
    assertThat(DagCbor.encode((short) 7)).isEqualTo(Interop.hex("07"));
    assertThat(DagCbor.encode((byte) -2)).isEqualTo(Interop.hex("21"));
    assertThat(DagCbor.encode(true)).isEqualTo(Interop.hex("f5"));
    assertThat(DagCbor.encode(false)).isEqualTo(Interop.hex("f4"));
    assertThat(DagCbor.encode(null)).isEqualTo(Interop.hex("f6"));
    assertThat(DagCbor.encode("")).isEqualTo(Interop.hex("60"));
    assertThat(DagCbor.encode("ü")).isEqualTo(Interop.hex("62c3bc"));
    assertThat(DagCbor.encode(new byte[] {1, 2})).isEqualTo(Interop.hex("420102"));
    assertThat(DagCbor.encode(List.of())).isEqualTo(Interop.hex("80"));
    assertThat(DagCbor.encode(Map.of())).isEqualTo(Interop.hex("a0"));
  }

  @Test
  void decodeReturnsLongsAndCanonicalMaps() {
    assertThat(DagCbor.decode(Interop.hex("17"))).isEqualTo(23L);
    assertThat(DagCbor.decode(Interop.hex("3b7fffffffffffffff"))).isEqualTo(Long.MIN_VALUE);
    assertThat(DagCbor.decode(Interop.hex("1b7fffffffffffffff"))).isEqualTo(Long.MAX_VALUE);
    var m = new HashMap<String, Object>();
    m.put("bb", 1);
    m.put("a", 2);
    m.put("c", 3);
    m.put("aaa", 4);
    var decoded = DagCbor.decodeMap(DagCbor.encode(m));
    assertThat(decoded).isInstanceOf(LinkedHashMap.class);
    assertThat(decoded.keySet()).containsExactly("a", "c", "bb", "aaa");
    assertThat(decoded.get("a")).isEqualTo(2L);
  }

  @Test
  void keyOrderIsLengthFirstThenBytewise() {
    var m = new TreeMap<String, Object>(); // natural order differs from canonical
    for (var k : List.of("z", "aa", "é", "b", "ab", "\u00ff", "zzz", "a")) m.put(k, k);
    var decoded = DagCbor.decodeMap(DagCbor.encode(m));
    // "é" and "ÿ" are 2 UTF-8 bytes: they sort among the two-byte keys, after the ASCII ones.
    assertThat(decoded.keySet()).containsExactly("a", "b", "z", "aa", "ab", "é", "\u00ff", "zzz");
  }

  @Test
  void largeMapsSortToo() {
    var m = new HashMap<String, Object>();
    for (int i = 0; i < 200; i++) m.put("k" + (i * 7919 % 1000), (long) i);
    var bytes = DagCbor.encode(m);
    var decoded = DagCbor.decodeMap(bytes);
    assertThat(decoded).isEqualTo(m.entrySet().stream().collect(java.util.stream.Collectors.toMap(
        Map.Entry::getKey, e -> ((Number) e.getValue()).longValue())));
    assertThat(DagCbor.encode(decoded)).isEqualTo(bytes);
  }

  @Test
  void roundTripsNestedValuesWithCids() {
    var cid = Cid.ofRaw(new byte[] {9});
    var inner = new ArrayList<Object>();
    inner.add(null);
    inner.add(cid);
    inner.add("😀 text");
    inner.add(new byte[] {0, -1});
    var m = new LinkedHashMap<String, Object>();
    m.put("list", inner);
    m.put("n", -1000L);
    m.put("t", true);
    var decoded = DagCbor.decodeMap(DagCbor.encode(m));
    var list = (List<?>) decoded.get("list");
    assertThat(list.get(0)).isNull();
    assertThat(list.get(1)).isEqualTo(cid);
    assertThat(list.get(2)).isEqualTo("😀 text");
    assertThat((byte[]) list.get(3)).containsExactly(0, -1);
    assertThat(decoded.get("n")).isEqualTo(-1000L);
  }

  @Test
  void cidLinkEncoding() {
    var cid = Cid.parse("bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a");
    var enc = DagCbor.encode(cid);
    assertThat(enc).startsWith(Interop.hex("d82a582500"));
    assertThat(enc).hasSize(5 + 36);
    assertThat(DagCbor.decode(enc)).isEqualTo(cid);
  }

  @Test
  void encoderRejectsNonDataModelValues() {
    for (Object bad : new Object[] {1.5, 1.0f, new Object(), Map.of(1, "x"), 'c', new java.math.BigInteger("1")}) {
      assertThatThrownBy(() -> DagCbor.encode(bad)).isInstanceOf(DagCborException.class);
    }
    assertThatThrownBy(() -> DagCbor.encode("a\ud800b")).isInstanceOf(DagCborException.class);
    assertThatThrownBy(() -> DagCbor.encode("\udc00")).isInstanceOf(DagCborException.class);
    var cyclic = new ArrayList<Object>();
    cyclic.add(cyclic);
    assertThatThrownBy(() -> DagCbor.encode(cyclic)).isInstanceOf(DagCborException.class);
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource({
      "1817, non-canonical uint8",
      "190017, non-canonical uint16",
      "1900ff, non-canonical uint16 below 256",
      "1a0000ffff, non-canonical uint32",
      "1b00000000ffffffff, non-canonical uint64",
      "3817, non-canonical negative",
      "1b8000000000000000, uint above int64 range",
      "3b8000000000000000, negint below int64 range",
      "a2616201616101, unsorted keys",
      "a2626161016162, shorter key after longer",
      "a2616101616102, duplicate keys",
      "a1010102, integer map key",
      "f93c00, half float",
      "fa3f800000, single float",
      "fb3ff0000000000000, double float",
      "f7, undefined",
      "f0, simple value",
      "f820, simple value one byte",
      "ff, stray break",
      "9fff, indefinite array",
      "bfff, indefinite map",
      "5f41ff, indefinite bytes",
      "7f6161ff, indefinite text",
      "0000, trailing bytes",
      "a0f6, trailing null",
      "6261, truncated text",
      "4301, truncated bytes",
      "82 01, truncated array",
      "a1 6161, truncated map",
      "19 01, truncated header",
      "1c, reserved info 28",
      "c1 00, tag 1",
      "d82b 4100, tag 43",
      "d9002a 582500017112206506 2a5a5a00fc16d73c6944237ccbc15b1c4a72344893368 91d091741a239d0, non-canonical tag 42 header",
      "d82a 6161, tag 42 on text",
      "d82a 4101, tag 42 without 0x00 prefix",
      "d82a 5825 01017112206506 2a5a5a00fc16d73c6944237ccbc15b1c4a7234489336891d091741a239d0, tag 42 with 0x01 prefix",
      "d82a 4400017112, tag 42 truncated cid",
      "61ff, invalid utf8 byte",
      "62c0af, overlong utf8",
      "63eda080, utf8 surrogate",
      "64f4908080, utf8 above U+10FFFF",
      "62c328, bad continuation byte",
      "61c3, truncated utf8",
      "9b0000000100000000, absurd array length",
      "bb7fffffffffffffff, absurd map length",
      "5b7fffffffffffffff, absurd bytes length",
      "a1 43616263 01, byte string map key",
  })
  void decoderRejects(String hex, String why) {
    var bytes = Interop.hex(hex);
    assertThatThrownBy(() -> DagCbor.decode(bytes)).as(why).isInstanceOf(DagCborException.class);
    // Straight to JSON refuses the same input.
    assertThatThrownBy(() -> {
      try (var gen = new com.fasterxml.jackson.core.JsonFactory().createGenerator(new java.io.ByteArrayOutputStream())) {
        DataJson.writeCborAsJson(bytes, gen);
      }
    }).as("as JSON: " + why).isInstanceOf(DagCborException.class);
  }

  @Test
  void decoderRejectsEmptyAndDeepNesting() {
    assertThatThrownBy(() -> DagCbor.decode(new byte[0])).isInstanceOf(DagCborException.class);
    var deep = new byte[DagCbor.MAX_DEPTH + 2];
    java.util.Arrays.fill(deep, (byte) 0x81);
    deep[deep.length - 1] = 0;
    assertThatThrownBy(() -> DagCbor.decode(deep)).isInstanceOf(DagCborException.class);
    var ok = new byte[DagCbor.MAX_DEPTH + 1];
    java.util.Arrays.fill(ok, (byte) 0x81);
    ok[ok.length - 1] = 0;
    assertThat(DagCbor.decode(ok)).isInstanceOf(List.class);
  }

  @Test
  void decodesValidEdgeCases() {
    assertThat(DagCbor.decode(Interop.hex("63e282ac"))).isEqualTo("€");
    assertThat(DagCbor.decode(Interop.hex("64f09f9880"))).isEqualTo("😀");
    assertThat(DagCbor.decode(Interop.hex("a0"))).isEqualTo(Map.of());
    assertThat(DagCbor.decode(Interop.hex("1818"))).isEqualTo(24L);
    assertThat(DagCbor.decode(Interop.hex("190100"))).isEqualTo(256L);
    assertThat(DagCbor.decode(Interop.hex("1a00010000"))).isEqualTo(65536L);
    assertThat(DagCbor.decode(Interop.hex("1b0000000100000000"))).isEqualTo(4294967296L);
    var range = Interop.hex("ff00a0f6");
    assertThat(DagCbor.decode(range, 2, 1)).isEqualTo(Map.of());
  }

  @Test
  void writerIsReusable() {
    var w = new DagCborWriter(16);
    var big = "x".repeat(1000);
    w.write(big);
    assertThat(DagCbor.decode(w.toByteArray())).isEqualTo(big);
    w.reset().write(5L);
    assertThat(w.toByteArray()).isEqualTo(Interop.hex("05"));
    assertThat(w.cid()).isEqualTo(Cid.ofDagCbor(Interop.hex("05")));
  }
}
