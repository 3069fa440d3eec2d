package dev.alteran.atproto.data;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.UTF8JsonGenerator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;

/** Single-pass strict DAG-CBOR decoder over a byte range. */
final class DagCborReader {
  private final byte[] b;
  private final int limit;
  private int pos;
  private boolean utf8Out;

  DagCborReader(byte[] bytes, int off, int limit) {
    if (off < 0 || limit > bytes.length || off > limit) throw new IndexOutOfBoundsException();
    this.b = bytes;
    this.pos = off;
    this.limit = limit;
  }

  Object readTop() {
    var v = read(0);
    if (pos != limit) throw new DagCborException("trailing bytes after value");
    return v;
  }

  private Object read(int depth) {
    if (pos >= limit) throw new DagCborException("unexpected end of input");
    int ib = b[pos++] & 0xFF;
    int major = ib >>> 5, info = ib & 31;
    switch (major) {
      case 0 -> {
        long v = readArg(info);
        if (v < 0) throw new DagCborException("integer out of signed 64-bit range");
        return v;
      }
      case 1 -> {
        long v = readArg(info);
        if (v < 0) throw new DagCborException("integer out of signed 64-bit range");
        return ~v; // -1 - v
      }
      case 2 -> {
        int len = readLength(info);
        var out = Arrays.copyOfRange(b, pos, pos + len);
        pos += len;
        return out;
      }
      case 3 -> {
        int len = readLength(info);
        var s = text(pos, len);
        pos += len;
        return s;
      }
      case 4 -> {
        int n = readCount(info, 1);
        if (depth >= DagCbor.MAX_DEPTH) throw new DagCborException("nesting too deep");
        var list = new ArrayList<Object>(n);
        for (int i = 0; i < n; i++) list.add(read(depth + 1));
        return list;
      }
      case 5 -> {
        return readMap(info, depth);
      }
      case 6 -> {
        return readCid(info);
      }
      default -> {
        return switch (info) {
          case 20 -> Boolean.FALSE;
          case 21 -> Boolean.TRUE;
          case 22 -> null;
          case 25, 26, 27 -> throw new DagCborException("floats are not allowed");
          case 31 -> throw new DagCborException("unexpected break");
          default -> throw new DagCborException("simple value not allowed: " + ib);
        };
      }
    }
  }

  /**
   * Reads one value as {@link #readTop} does, with the same checks, but writes it straight to
   * {@code g} as atproto JSON instead of building it: no maps, no boxed numbers, text copied as UTF-8.
   */
  void writeJsonTop(JsonGenerator g) throws IOException {
    utf8Out = g instanceof UTF8JsonGenerator; // only a byte-writing generator takes UTF-8 text as is
    writeJson(g, 0);
    if (pos != limit) throw new DagCborException("trailing bytes after value");
  }

  private void writeJson(JsonGenerator g, int depth) throws IOException {
    if (pos >= limit) throw new DagCborException("unexpected end of input");
    int ib = b[pos++] & 0xFF;
    int major = ib >>> 5, info = ib & 31;
    switch (major) {
      case 0, 1 -> {
        long v = readArg(info);
        if (v < 0) throw new DagCborException("integer out of signed 64-bit range");
        g.writeNumber(major == 0 ? v : ~v);
      }
      case 2 -> {
        int len = readLength(info);
        g.writeStartObject();
        g.writeStringField("$bytes", DataJson.base64(Arrays.copyOfRange(b, pos, pos + len)));
        g.writeEndObject();
        pos += len;
      }
      case 3 -> {
        int len = readLength(info);
        if (utf8Out) {
          validateUtf8(b, pos, pos + len);
          g.writeUTF8String(b, pos, len);
        } else {
          g.writeString(text(pos, len));
        }
        pos += len;
      }
      case 4 -> {
        int n = readCount(info, 1);
        if (depth >= DagCbor.MAX_DEPTH) throw new DagCborException("nesting too deep");
        g.writeStartArray();
        for (int i = 0; i < n; i++) writeJson(g, depth + 1);
        g.writeEndArray();
      }
      case 5 -> {
        int n = readCount(info, 2);
        if (depth >= DagCbor.MAX_DEPTH) throw new DagCborException("nesting too deep");
        g.writeStartObject();
        int prevOff = 0, prevLen = -1;
        for (int i = 0; i < n; i++) {
          int off = mapKey(prevOff, prevLen);
          int len = pos - off;
          g.writeFieldName(key(off, len));
          prevOff = off;
          prevLen = len;
          writeJson(g, depth + 1);
        }
        g.writeEndObject();
      }
      case 6 -> {
        var cid = readCid(info);
        g.writeStartObject();
        g.writeStringField("$link", cid.toString());
        g.writeEndObject();
      }
      default -> {
        switch (info) {
          case 20 -> g.writeBoolean(false);
          case 21 -> g.writeBoolean(true);
          case 22 -> g.writeNull();
          default -> {
            pos--;
            read(depth); // the same refusal as when decoding
          }
        }
      }
    }
  }

  /** Reads a map key after one at {@code prevOff} of {@code prevLen} bytes (-1: first); returns its offset, pos is after it. */
  private int mapKey(int prevOff, int prevLen) {
    if (pos >= limit) throw new DagCborException("unexpected end of input");
    int ib = b[pos++] & 0xFF;
    if (ib >>> 5 != 3) throw new DagCborException("map keys must be text strings");
    int len = readLength(ib & 31);
    int off = pos;
    if (len < prevLen) throw new DagCborException("map keys not in canonical order");
    if (len == prevLen) {
      int c = Arrays.compareUnsigned(b, prevOff, prevOff + len, b, off, off + len);
      if (c == 0) throw new DagCborException("duplicate map key");
      if (c > 0) throw new DagCborException("map keys not in canonical order");
    }
    pos += len;
    return off;
  }

  private LinkedHashMap<String, Object> readMap(int info, int depth) {
    int n = readCount(info, 2);
    if (depth >= DagCbor.MAX_DEPTH) throw new DagCborException("nesting too deep");
    var map = LinkedHashMap.<String, Object>newLinkedHashMap(n);
    int prevOff = 0, prevLen = -1;
    for (int i = 0; i < n; i++) {
      int off = mapKey(prevOff, prevLen);
      int len = pos - off;
      var key = key(off, len);
      prevOff = off;
      prevLen = len;
      map.put(key, read(depth + 1));
    }
    return map;
  }

  private Cid readCid(int info) {
    long tag = readArg(info);
    if (tag != 42) throw new DagCborException("unsupported tag " + Long.toUnsignedString(tag));
    if (pos >= limit) throw new DagCborException("unexpected end of input");
    int ib = b[pos++] & 0xFF;
    if (ib >>> 5 != 2) throw new DagCborException("tag 42 must wrap a byte string");
    int len = readLength(ib & 31);
    if (len < 2 || b[pos] != 0) throw new DagCborException("CID link must start with the 0x00 multibase prefix");
    Cid cid;
    try {
      cid = Cid.readFrom(b, pos + 1, pos + len);
    } catch (IllegalArgumentException e) {
      throw new DagCborException("invalid CID link: " + e.getMessage(), e);
    }
    if (cid.byteLength() != len - 1) throw new DagCborException("invalid CID link: trailing bytes");
    if (cid.version() != 1) throw new DagCborException("CID link must be CIDv1");
    pos += len;
    return cid;
  }

  /** Argument of a header, enforcing shortest form. Returns it as a raw 64-bit pattern. */
  private long readArg(int info) {
    if (info < 24) return info;
    switch (info) {
      case 24 -> {
        need(1);
        int v = b[pos++] & 0xFF;
        if (v < 24) throw new DagCborException("non-canonical integer encoding");
        return v;
      }
      case 25 -> {
        need(2);
        int v = ((b[pos] & 0xFF) << 8) | (b[pos + 1] & 0xFF);
        pos += 2;
        if (v < 0x100) throw new DagCborException("non-canonical integer encoding");
        return v;
      }
      case 26 -> {
        need(4);
        long v = ((long) (b[pos] & 0xFF) << 24) | ((b[pos + 1] & 0xFF) << 16) | ((b[pos + 2] & 0xFF) << 8) | (b[pos + 3] & 0xFF);
        pos += 4;
        if (v < 0x10000) throw new DagCborException("non-canonical integer encoding");
        return v;
      }
      case 27 -> {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | (b[pos + i] & 0xFF);
        pos += 8;
        if (v >= 0 && v < 0x1_0000_0000L) throw new DagCborException("non-canonical integer encoding");
        return v;
      }
      case 31 -> throw new DagCborException("indefinite lengths are not allowed");
      default -> throw new DagCborException("reserved additional information " + info);
    }
  }

  /** Length of a byte or text string, bounded by the remaining input. */
  private int readLength(int info) {
    long len = readArg(info);
    if (len < 0 || len > limit - pos) throw new DagCborException("length exceeds input");
    return (int) len;
  }

  /** Item count of a list or map; each item needs at least {@code minBytes} of remaining input. */
  private int readCount(int info, int minBytes) {
    long n = readArg(info);
    if (n < 0 || n > (limit - pos) / minBytes) throw new DagCborException("count exceeds input");
    return (int) n;
  }

  private void need(int n) {
    if (limit - pos < n) throw new DagCborException("unexpected end of input");
  }

  /**
   * Map keys repeat endlessly ("$type", "text", "createdAt"...): a small lossy cache of decoded
   * ASCII keys saves the allocation and lets the map reuse each String's cached hash.
   */
  private record CachedKey(byte[] bytes, String string) {}

  private static final int KEY_CACHE_SIZE = 1024; // power of two
  private static final int KEY_CACHE_MAX_LEN = 32;
  private static final CachedKey[] KEY_CACHE = new CachedKey[KEY_CACHE_SIZE];

  private String key(int off, int len) {
    if (len > KEY_CACHE_MAX_LEN) return text(off, len);
    int h = len;
    for (int i = off, end = off + len; i < end; i++) {
      byte c = b[i];
      if (c < 0) return text(off, len);
      h = 31 * h + c;
    }
    int slot = (h ^ (h >>> 16)) & (KEY_CACHE_SIZE - 1);
    var cached = KEY_CACHE[slot]; // racy read is safe: CachedKey is immutable
    if (cached != null && Arrays.equals(cached.bytes, 0, cached.bytes.length, b, off, off + len)) return cached.string;
    var s = new String(b, off, len, StandardCharsets.ISO_8859_1);
    KEY_CACHE[slot] = new CachedKey(Arrays.copyOfRange(b, off, off + len), s);
    return s;
  }

  private String text(int off, int len) {
    int end = off + len;
    int i = off;
    while (i < end && b[i] >= 0) i++;
    if (i == end) return new String(b, off, len, StandardCharsets.ISO_8859_1);
    validateUtf8(b, i, end);
    return new String(b, off, len, StandardCharsets.UTF_8);
  }

  /** Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing above U+10FFFF. */
  static void validateUtf8(byte[] b, int i, int end) {
    while (i < end) {
      int c = b[i] & 0xFF;
      if (c < 0x80) {
        i++;
        continue;
      }
      int n, lo = 0x80, hi = 0xBF;
      if (c >= 0xC2 && c <= 0xDF) {
        n = 1;
      } else if (c >= 0xE0 && c <= 0xEF) {
        n = 2;
        if (c == 0xE0) lo = 0xA0;
        else if (c == 0xED) hi = 0x9F;
      } else if (c >= 0xF0 && c <= 0xF4) {
        n = 3;
        if (c == 0xF0) lo = 0x90;
        else if (c == 0xF4) hi = 0x8F;
      } else {
        throw new DagCborException("invalid UTF-8");
      }
      if (end - i <= n) throw new DagCborException("invalid UTF-8");
      int c1 = b[i + 1] & 0xFF;
      if (c1 < lo || c1 > hi) throw new DagCborException("invalid UTF-8");
      for (int k = 2; k <= n; k++) {
        int ck = b[i + k] & 0xFF;
        if (ck < 0x80 || ck > 0xBF) throw new DagCborException("invalid UTF-8");
      }
      i += n + 1;
    }
  }
}
