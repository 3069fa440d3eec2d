package dev.alteran.atproto.car;

import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.data.DagCbor;
import dev.alteran.atproto.data.DagCborException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * Streaming CAR v1 reader. The header is read by {@link #open}; blocks are then read one at a time
 * (via {@link #next()} or a single-use iterator), each verified against its CID.
 */
public final class CarReader implements Iterable<Block>, AutoCloseable {
  /** Largest block accepted; atproto records and MST nodes are far smaller. */
  public static final int MAX_BLOCK_SIZE = 2 << 20;
  private static final int MAX_HEADER_SIZE = 1 << 20;
  private static final int MAX_CID_SIZE = 128;

  private final InputStream in;
  private final List<Cid> roots;
  private byte[] buf = new byte[1 << 16];
  private int start, end; // unread bytes are buf[start..end)
  private boolean eof;
  private boolean iterated;

  private CarReader(InputStream in) {
    this.in = in;
    this.roots = readHeader();
  }

  /** Reads the header of a CAR stream; {@link CarException} if it is malformed. */
  public static CarReader open(InputStream in) {
    return new CarReader(in);
  }

  /** Reads a whole CAR held in memory, verifying every block. */
  public static CarFile readAll(byte[] car) {
    var reader = open(new ByteArrayInputStream(car));
    var blocks = new LinkedHashMap<Cid, byte[]>();
    for (Block b; (b = reader.next()) != null; ) blocks.put(b.cid(), b.bytes());
    return new CarFile(reader.roots(), blocks);
  }

  public List<Cid> roots() {
    return roots;
  }

  /** The next verified block, or {@code null} at a clean end of input. */
  public Block next() {
    if (!fill(1)) return null;
    long len = readVarint();
    if (len > MAX_BLOCK_SIZE + MAX_CID_SIZE) throw new CarException("section too large: " + len);
    if (len == 0) throw new CarException("empty section");
    int n = (int) len;
    if (!fill(n)) throw new CarException("truncated section");
    Cid cid;
    try {
      cid = Cid.readFrom(buf, start, start + n);
    } catch (IllegalArgumentException e) {
      throw new CarException("invalid CID in section: " + e.getMessage(), e);
    }
    int off = start + cid.byteLength(), blockLen = n - cid.byteLength();
    if (blockLen > MAX_BLOCK_SIZE) throw new CarException("block too large: " + blockLen);
    if (!cid.matches(buf, off, blockLen)) throw new CarException("block does not match its CID " + cid);
    var bytes = Arrays.copyOfRange(buf, off, off + blockLen);
    start += n;
    return new Block(cid, bytes);
  }

  /** Iterates the remaining blocks; may be called once. */
  @Override
  public Iterator<Block> iterator() {
    if (iterated) throw new IllegalStateException("a CarReader can be iterated only once");
    iterated = true;
    return new Iterator<>() {
      private Block pending;

      @Override
      public boolean hasNext() {
        if (pending == null) pending = CarReader.this.next();
        return pending != null;
      }

      @Override
      public Block next() {
        if (!hasNext()) throw new NoSuchElementException();
        var b = pending;
        pending = null;
        return b;
      }
    };
  }

  @Override
  public void close() {
    try {
      in.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private List<Cid> readHeader() {
    if (!fill(1)) throw new CarException("empty CAR");
    long len = readVarint();
    if (len == 0 || len > MAX_HEADER_SIZE) throw new CarException("bad header length " + len);
    int n = (int) len;
    if (!fill(n)) throw new CarException("truncated header");
    Object header;
    try {
      header = DagCbor.decode(buf, start, n);
    } catch (DagCborException e) {
      throw new CarException("header is not valid DAG-CBOR: " + e.getMessage(), e);
    }
    start += n;
    if (!(header instanceof Map<?, ?> map) || map.size() != 2) throw new CarException("header must be {version, roots}");
    if (!Long.valueOf(1).equals(map.get("version"))) throw new CarException("unsupported CAR version " + map.get("version"));
    if (!(map.get("roots") instanceof List<?> list)) throw new CarException("header roots must be a list");
    for (var r : list) if (!(r instanceof Cid)) throw new CarException("header roots must be CIDs");
    return list.stream().map(Cid.class::cast).toList();
  }

  /** Varint from the buffer, at most 9 bytes, minimal; refills as needed. */
  private long readVarint() {
    long value = 0;
    for (int i = 0; i < 9; i++) {
      if (!fill(1)) throw new CarException("truncated varint");
      int b = buf[start++] & 0xFF;
      value |= (long) (b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) {
        if (b == 0 && i > 0) throw new CarException("non-minimal varint");
        return value;
      }
    }
    throw new CarException("varint overflow");
  }

  /** Makes at least {@code n} contiguous unread bytes available; false if input ends first. */
  private boolean fill(int n) {
    if (end - start >= n) return true;
    if (n > buf.length) {
      buf = Arrays.copyOfRange(buf, start, start + Math.max(n, buf.length * 2));
      end -= start;
      start = 0;
    } else if (buf.length - start < n) {
      System.arraycopy(buf, start, buf, 0, end - start);
      end -= start;
      start = 0;
    }
    while (end - start < n && !eof) {
      int r;
      try {
        r = in.read(buf, end, buf.length - end);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      if (r < 0) eof = true;
      else end += r;
    }
    return end - start >= n;
  }
}
