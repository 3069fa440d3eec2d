package dev.alteran.atproto.car;

import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.data.DagCbor;
import dev.alteran.atproto.data.Varint;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * Streams a CAR v1 file: a varint-prefixed DAG-CBOR header {@code {version: 1, roots}}, then one
 * varint-prefixed {@code cid || block} section per {@link #write}. Nothing is retained between
 * writes. The caller vouches that each block hashes to its CID. I/O errors are unchecked.
 */
public final class CarWriter implements AutoCloseable {
  private final OutputStream out;
  private final byte[] varint = new byte[Varint.MAX_BYTES];

  /** A CAR with a single root. */
  public CarWriter(OutputStream out, Cid root) {
    this(out, List.of(root));
  }

  /** A CAR with the given roots (possibly none, as for a bare block listing). */
  public CarWriter(OutputStream out, List<Cid> roots) {
    // In memory (a firehose event's CAR), a 64 KiB buffer would be allocated per commit for nothing.
    this.out = out instanceof BufferedOutputStream || out instanceof ByteArrayOutputStream ? out : new BufferedOutputStream(out, 1 << 16);
    var header = new LinkedHashMap<String, Object>();
    header.put("roots", new ArrayList<Object>(roots));
    header.put("version", 1L);
    var bytes = DagCbor.encode(header);
    try {
      writeVarint(bytes.length);
      this.out.write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public void write(Cid cid, byte[] block) {
    try {
      writeVarint((long) cid.byteLength() + block.length);
      cid.writeTo(out);
      out.write(block);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public void write(Block block) {
    write(block.cid(), block.bytes());
  }

  public void flush() {
    try {
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Flushes and closes the underlying stream. */
  @Override
  public void close() {
    try {
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void writeVarint(long v) throws IOException {
    int n = Varint.write(v, varint, 0);
    out.write(varint, 0, n);
  }
}
