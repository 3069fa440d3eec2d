package dev.alteran.atproto.data;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Single-pass canonical DAG-CBOR encoder into a growable buffer. Reusable via {@link #reset()};
 * not thread-safe.
 */
public final class DagCborWriter {
  /** Encoded map keys (CBOR header + UTF-8), shared: record keys come from a small vocabulary. */
  private static final ConcurrentHashMap<String, byte[]> KEY_CACHE = new ConcurrentHashMap<>();
  private static final int KEY_CACHE_LIMIT = 8192;
  private static final int KEY_CACHE_MAX_KEY = 64;

  private byte[] buf;
  private int pos;

  public DagCborWriter() {
    this(1024);
  }

  public DagCborWriter(int initialCapacity) {
    buf = new byte[Math.max(16, initialCapacity)];
  }

  public DagCborWriter reset() {
    pos = 0;
    return this;
  }

  /** Appends the encoding of {@code value}. */
  public DagCborWriter write(Object value) {
    writeValue(value, 0);
    return this;
  }

  public int size() {
    return pos;
  }

  public byte[] toByteArray() {
    return Arrays.copyOf(buf, pos);
  }

  public void writeTo(OutputStream out) throws IOException {
    out.write(buf, 0, pos);
  }

  /** CID of everything written so far, hashed straight from the buffer. */
  public Cid cid() {
    return Cid.ofSha256(Cid.DAG_CBOR, buf, 0, pos);
  }

  private void ensure(int extra) {
    if (pos + extra > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length << 1, pos + extra));
    }
  }

  private void writeValue(Object v, int depth) {
    if (v instanceof String s) {
      writeString(s);
    } else if (v instanceof Map<?, ?> m) {
      writeMap(m, depth);
    } else if (v instanceof Long l) {
      writeLong(l);
    } else if (v instanceof List<?> list) {
      writeList(list, depth);
    } else if (v instanceof Cid c) {
      writeCid(c);
    } else if (v instanceof Boolean b) {
      ensure(1);
      buf[pos++] = (byte) (b ? 0xF5 : 0xF4);
    } else if (v == null) {
      ensure(1);
      buf[pos++] = (byte) 0xF6;
    } else if (v instanceof byte[] bytes) {
      writeHeader(2, bytes.length);
      ensure(bytes.length);
      System.arraycopy(bytes, 0, buf, pos, bytes.length);
      pos += bytes.length;
    } else if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
      writeLong(((Number) v).longValue());
    } else {
      throw new DagCborException("not an atproto data model value: " + v.getClass().getName());
    }
  }

  private void writeLong(long v) {
    if (v >= 0) writeHeader(0, v);
    else writeHeader(1, ~v); // -1 - v
  }

  /** Shortest-form header; {@code arg} is treated as unsigned. */
  private void writeHeader(int major, long arg) {
    ensure(9);
    int mt = major << 5;
    var b = buf;
    int p = pos;
    if (arg >= 0 && arg < 24) {
      b[p++] = (byte) (mt | (int) arg);
    } else if (arg >= 0 && arg < 0x100) {
      b[p++] = (byte) (mt | 24);
      b[p++] = (byte) arg;
    } else if (arg >= 0 && arg < 0x10000) {
      b[p++] = (byte) (mt | 25);
      b[p++] = (byte) (arg >>> 8);
      b[p++] = (byte) arg;
    } else if (arg >= 0 && arg < 0x1_0000_0000L) {
      b[p++] = (byte) (mt | 26);
      b[p++] = (byte) (arg >>> 24);
      b[p++] = (byte) (arg >>> 16);
      b[p++] = (byte) (arg >>> 8);
      b[p++] = (byte) arg;
    } else {
      b[p++] = (byte) (mt | 27);
      for (int shift = 56; shift >= 0; shift -= 8) b[p++] = (byte) (arg >>> shift);
    }
    pos = p;
  }

  @SuppressWarnings("deprecation") // String.getBytes(int,int,byte[],int) is an array copy for ASCII
  private void writeString(String s) {
    int n = s.length();
    int utf8 = utf8Length(s);
    writeHeader(3, utf8);
    ensure(utf8);
    if (utf8 == n) {
      s.getBytes(0, n, buf, pos);
      pos += n;
    } else {
      pos = writeUtf8(s, buf, pos);
    }
  }

  /** UTF-8 length of {@code s}; rejects unpaired surrogates, which have no UTF-8 form. */
  static int utf8Length(String s) {
    int n = s.length(), len = n;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) continue;
      if (c < 0x800) {
        len += 1;
      } else if (Character.isSurrogate(c)) {
        if (!Character.isHighSurrogate(c) || i + 1 >= n || !Character.isLowSurrogate(s.charAt(i + 1))) {
          throw new DagCborException("string contains an unpaired surrogate");
        }
        len += 2; // 4 bytes for the pair of 2 chars
        i++;
      } else {
        len += 2;
      }
    }
    return len;
  }

  private static int writeUtf8(String s, byte[] b, int p) {
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        b[p++] = (byte) c;
      } else if (c < 0x800) {
        b[p++] = (byte) (0xC0 | (c >> 6));
        b[p++] = (byte) (0x80 | (c & 0x3F));
      } else if (Character.isHighSurrogate(c)) {
        int cp = Character.toCodePoint(c, s.charAt(++i));
        b[p++] = (byte) (0xF0 | (cp >> 18));
        b[p++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
        b[p++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
        b[p++] = (byte) (0x80 | (cp & 0x3F));
      } else {
        b[p++] = (byte) (0xE0 | (c >> 12));
        b[p++] = (byte) (0x80 | ((c >> 6) & 0x3F));
        b[p++] = (byte) (0x80 | (c & 0x3F));
      }
    }
    return p;
  }

  private void writeCid(Cid c) {
    if (c.version() != 1) throw new DagCborException("CID links must be CIDv1");
    var raw = c.rawBytes();
    ensure(raw.length + 12);
    buf[pos++] = (byte) 0xD8; // tag(42)
    buf[pos++] = 42;
    writeHeader(2, raw.length + 1);
    buf[pos++] = 0; // multibase identity prefix
    System.arraycopy(raw, 0, buf, pos, raw.length);
    pos += raw.length;
  }

  private void writeList(List<?> list, int depth) {
    if (depth >= DagCbor.MAX_DEPTH) throw new DagCborException("nesting too deep");
    writeHeader(4, list.size());
    int count = 0;
    for (var item : list) {
      writeValue(item, depth + 1);
      count++;
    }
    if (count != list.size()) throw new DagCborException("list changed while encoding");
  }

  private void writeMap(Map<?, ?> map, int depth) {
    if (depth >= DagCbor.MAX_DEPTH) throw new DagCborException("nesting too deep");
    int n = map.size();
    writeHeader(5, n);
    if (n == 0) return;
    var keys = new byte[n][];
    var values = new Object[n];
    int i = 0;
    for (var e : map.entrySet()) {
      if (i == n) throw new DagCborException("map changed while encoding");
      if (!(e.getKey() instanceof String k)) throw new DagCborException("map keys must be strings");
      keys[i] = encodedKey(k);
      values[i] = e.getValue();
      i++;
    }
    if (i != n) throw new DagCborException("map changed while encoding");
    sortKeys(keys, values, n);
    for (i = 0; i < n; i++) {
      var k = keys[i];
      ensure(k.length);
      System.arraycopy(k, 0, buf, pos, k.length);
      pos += k.length;
      writeValue(values[i], depth + 1);
    }
  }

  /**
   * Sorts by encoded key bytes. With shortest-form headers that order is exactly DAG-CBOR's
   * length-first, then bytewise order. Insertion sort: maps are small and often already sorted.
   */
  private static void sortKeys(byte[][] keys, Object[] values, int n) {
    if (n > 32) {
      var idx = new Integer[n];
      for (int i = 0; i < n; i++) idx[i] = i;
      Arrays.sort(idx, (a, b) -> Arrays.compareUnsigned(keys[a], keys[b]));
      var k2 = keys.clone();
      var v2 = values.clone();
      for (int i = 0; i < n; i++) {
        keys[i] = k2[idx[i]];
        values[i] = v2[idx[i]];
      }
    } else {
      for (int i = 1; i < n; i++) {
        var k = keys[i];
        var v = values[i];
        int j = i - 1;
        while (j >= 0 && Arrays.compareUnsigned(keys[j], k) > 0) {
          keys[j + 1] = keys[j];
          values[j + 1] = values[j];
          j--;
        }
        keys[j + 1] = k;
        values[j + 1] = v;
      }
    }
    // Distinct Java strings always have distinct UTF-8, so no duplicate check is needed here.
  }

  private static byte[] encodedKey(String k) {
    var cached = KEY_CACHE.get(k);
    if (cached != null) return cached;
    var w = new DagCborWriter(k.length() * 3 + 9);
    w.writeString(k);
    var enc = w.toByteArray();
    if (k.length() <= KEY_CACHE_MAX_KEY && KEY_CACHE.size() < KEY_CACHE_LIMIT) KEY_CACHE.putIfAbsent(k, enc);
    return enc;
  }
}
