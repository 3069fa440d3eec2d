package dev.alteran.atproto.car;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.data.DagCbor;
import dev.alteran.atproto.data.Varint;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CarTest {
  private static final List<byte[]> BLOCKS = List.of(
      DagCbor.encode(Map.of("text", "hello", "n", 1L)),
      DagCbor.encode(List.of("a", "b")),
      new byte[70_000], // larger than the reader's initial buffer
      DagCbor.encode(Map.of()));

  private static byte[] car(Cid root, List<byte[]> blocks) {
    var out = new ByteArrayOutputStream();
    try (var w = new CarWriter(out, root)) {
      for (var b : blocks) w.write(Cid.ofDagCbor(b), b);
    }
    return out.toByteArray();
  }

  private static byte[] sample() {
    return car(Cid.ofDagCbor(BLOCKS.getFirst()), BLOCKS);
  }

  @Test
  void roundTripStreaming() {
    var reader = CarReader.open(new ByteArrayInputStream(sample()));
    assertThat(reader.roots()).containsExactly(Cid.ofDagCbor(BLOCKS.getFirst()));
    var read = new ArrayList<Block>();
    reader.forEach(read::add);
    assertThat(read).hasSize(BLOCKS.size());
    for (int i = 0; i < BLOCKS.size(); i++) {
      assertThat(read.get(i).bytes()).isEqualTo(BLOCKS.get(i));
      assertThat(read.get(i).cid()).isEqualTo(Cid.ofDagCbor(BLOCKS.get(i)));
    }
    assertThatThrownBy(reader::iterator).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void roundTripTrickledInput() {
    // One byte per read() call exercises every refill path.
    var bytes = sample();
    var slow = new InputStream() {
      int i;

      @Override
      public int read() {
        return i < bytes.length ? bytes[i++] & 0xFF : -1;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (i >= bytes.length) return -1;
        b[off] = bytes[i++];
        return 1;
      }
    };
    var reader = CarReader.open(slow);
    int count = 0;
    for (var b : reader) {
      assertThat(b.bytes()).isEqualTo(BLOCKS.get(count++));
    }
    assertThat(count).isEqualTo(BLOCKS.size());
  }

  @Test
  void readAllAndHeaderEncoding() {
    var root = Cid.ofDagCbor(BLOCKS.getFirst());
    var file = CarReader.readAll(sample());
    assertThat(file.root()).isEqualTo(root);
    assertThat(file.blocks()).hasSize(BLOCKS.size());
    assertThat(file.blocks().get(root)).isEqualTo(BLOCKS.getFirst());
    // Header is varint(len) then {roots: [root], version: 1} in canonical key order.
    var bytes = sample();
    int len = (int) Varint.read(bytes, 0, bytes.length);
    var header = DagCbor.decodeMap(Arrays.copyOfRange(bytes, 1, 1 + len));
    assertThat(header.keySet()).containsExactly("roots", "version");
    assertThat(header.get("roots")).isEqualTo(List.of(root));
    assertThat(header.get("version")).isEqualTo(1L);
  }

  @Test
  void emptyRootsAndNoBlocks() {
    var out = new ByteArrayOutputStream();
    new CarWriter(out, List.of()).close();
    var file = CarReader.readAll(out.toByteArray());
    assertThat(file.roots()).isEmpty();
    assertThat(file.blocks()).isEmpty();
    assertThatThrownBy(file::root).isInstanceOf(CarException.class);
  }

  @Test
  void corruptedBlockIsRejected() {
    var bytes = sample();
    bytes[bytes.length - 1] ^= 0x01; // last byte of the last block
    assertThatThrownBy(() -> CarReader.readAll(bytes)).isInstanceOf(CarException.class).hasMessageContaining("match");
  }

  @Test
  void truncatedInputIsRejectedAtEveryCut() {
    var bytes = sample();
    int headerEnd = 1 + (int) Varint.read(bytes, 0, bytes.length);
    // Every cut strictly inside the file fails, except at section boundaries, which end cleanly.
    var boundaries = new java.util.HashMap<Integer, Integer>(); // offset -> blocks before it
    int p = headerEnd;
    while (p < bytes.length) {
      boundaries.put(p, boundaries.size());
      long len = Varint.read(bytes, p, bytes.length);
      p += Varint.size(len) + (int) len;
    }
    int rejected = 0;
    for (int cut = 0; cut < bytes.length; cut += cut < 200 ? 1 : 997) {
      var prefix = Arrays.copyOf(bytes, cut);
      if (boundaries.containsKey(cut)) {
        assertThat(CarReader.readAll(prefix).blocks()).hasSize(boundaries.get(cut));
      } else {
        assertThatThrownBy(() -> CarReader.readAll(prefix)).as("cut at " + cut).isInstanceOf(CarException.class);
        rejected++;
      }
    }
    assertThat(rejected).isGreaterThan(150);
  }

  @Test
  void badHeadersAreRejected() {
    var hex = HexFormat.of();
    for (var bad : List.of(
        "", // empty
        "00", // zero-length header
        "05a1617601", // header length beyond the input
        "04a1617601", // DAG-CBOR map truncated inside the declared length
        "02f93c00", // a float: not DAG-CBOR
        "ffffffffffffffffff01", // varint overflow
        "8080808080808080808001", // varint too long
        "8100" // non-minimal varint
    )) {
      assertThatThrownBy(() -> CarReader.readAll(hex.parseHex(bad))).as(bad).isInstanceOf(CarException.class);
    }
    // Well-formed DAG-CBOR but the wrong shape.
    for (Object header : List.of(Map.of("version", 2L, "roots", List.of()), Map.of("version", 1L),
        Map.of("version", 1L, "roots", List.of("x")), Map.of("version", 1L, "roots", List.of(), "x", 1L), List.of())) {
      var enc = DagCbor.encode(header);
      var bytes = new byte[enc.length + 1];
      bytes[0] = (byte) enc.length;
      System.arraycopy(enc, 0, bytes, 1, enc.length);
      assertThatThrownBy(() -> CarReader.readAll(bytes)).as(header.toString()).isInstanceOf(CarException.class);
    }
  }

  @Test
  void absurdSectionSizesAreRejected() {
    var head = car(Cid.ofDagCbor(BLOCKS.getFirst()), List.of());
    var section = Varint.encode(CarReader.MAX_BLOCK_SIZE + 1000L);
    var bytes = Arrays.copyOf(head, head.length + section.length);
    System.arraycopy(section, 0, bytes, head.length, section.length);
    assertThatThrownBy(() -> CarReader.readAll(bytes)).isInstanceOf(CarException.class).hasMessageContaining("too large");
  }

  @Test
  void badCidInSectionIsRejected() {
    var head = car(Cid.ofDagCbor(BLOCKS.getFirst()), List.of());
    var bytes = Arrays.copyOf(head, head.length + 4);
    bytes[head.length] = 3;
    bytes[head.length + 1] = 0x02; // CID version 2
    assertThatThrownBy(() -> CarReader.readAll(bytes)).isInstanceOf(CarException.class).hasMessageContaining("CID");
  }
}
