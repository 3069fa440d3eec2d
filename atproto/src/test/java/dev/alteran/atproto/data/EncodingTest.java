package dev.alteran.atproto.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class EncodingTest {
  @ParameterizedTest
  @CsvSource({"f, my", "fo, mzxq", "foo, mzxw6", "foob, mzxw6yq", "fooba, mzxw6ytb", "foobar, mzxw6ytboi"})
  void base32Rfc4648Vectors(String plain, String encoded) {
    var bytes = plain.getBytes(StandardCharsets.US_ASCII);
    assertThat(Base32.encode(bytes)).isEqualTo(encoded);
    assertThat(Base32.decode(encoded)).isEqualTo(bytes);
    assertThat(Multibase.decode("b" + encoded)).isEqualTo(bytes);
  }

  @ParameterizedTest
  @ValueSource(strings = {"m", "mzx", "mzxw6y", "MZXW6", "mz1w", "mz=", "mz"})
  void base32RejectsBadLengthsCharactersAndPadBits(String bad) {
    // "mz" decodes to one byte only if its spare low bits are zero; 'z' leaves them set.
    assertThatThrownBy(() -> Base32.decode(bad)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void base58() {
    var hello = "hello world".getBytes(StandardCharsets.US_ASCII);
    assertThat(Base58.encode(hello)).isEqualTo("StV1DL6CwTryKyV");
    assertThat(Base58.decode("StV1DL6CwTryKyV")).isEqualTo(hello);
    assertThat(Base58.encode(new byte[] {0, 0, 1})).isEqualTo("112");
    assertThat(Base58.decode("112")).containsExactly(0, 0, 1);
    assertThat(Base58.encode(new byte[0])).isEmpty();
    assertThatThrownBy(() -> Base58.decode("0OIl")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void multibase() {
    var data = new byte[] {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef};
    for (char base : new char[] {'b', 'z', 'm', 'u'}) {
      var s = Multibase.encode(base, data);
      assertThat(s.charAt(0)).isEqualTo(base);
      assertThat(Multibase.decode(s)).isEqualTo(data);
    }
    assertThat(Multibase.encode('m', data)).isEqualTo("m3q2+7w");
    assertThat(Multibase.encode('u', data)).isEqualTo("u3q2-7w");
    assertThatThrownBy(() -> Multibase.decode("m3q2+7w==")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Multibase.decode("xabc")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Multibase.decode("")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void varint() {
    assertThat(Varint.encode(0)).containsExactly(0);
    assertThat(Varint.encode(127)).containsExactly(0x7f);
    assertThat(Varint.encode(128)).containsExactly(0x80, 0x01);
    assertThat(Varint.encode(300)).containsExactly(0xac, 0x02);
    assertThat(Varint.size(Long.MAX_VALUE)).isEqualTo(9);
    assertThat(Varint.read(Varint.encode(Long.MAX_VALUE), 0, 9)).isEqualTo(Long.MAX_VALUE);
    assertThat(Varint.read(Interop.hex("ac02ff"), 0, 3)).isEqualTo(300);
    assertThatThrownBy(() -> Varint.read(Interop.hex("8000"), 0, 2)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Varint.read(Interop.hex("80"), 0, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Varint.read(Interop.hex("ffffffffffffffffff01"), 0, 10)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Varint.encode(-1)).isInstanceOf(IllegalArgumentException.class);
  }
}
