package dev.alteran.atproto.data;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * A content identifier. Created only as CIDv1 with a sha2-256 multihash; parsed from binary or
 * multibase text (base32 'b', base58btc 'z', and legacy CIDv0 "Qm..."). Immutable; equality,
 * hashing and ordering are on the binary form.
 */
public final class Cid implements Comparable<Cid> {
  public static final int DAG_CBOR = 0x71, RAW = 0x55, DAG_PB = 0x70;
  public static final int SHA2_256 = 0x12, IDENTITY = 0x00;

  /** The loose CID string syntax of the atproto Lexicon "cid" format. */
  private static final Pattern SYNTAX = Pattern.compile("[a-zA-Z0-9+=]{8,256}");
  private static final MessageDigest SHA256_PROTOTYPE;

  static {
    try {
      SHA256_PROTOTYPE = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final byte[] bytes;
  private final int version, codec, hashCode, digestOffset;
  private final int multihashCode;
  private String string; // lazily computed; benign race

  private Cid(byte[] bytes, int version, int codec, int multihashCode, int digestOffset) {
    this.bytes = bytes;
    this.version = version;
    this.codec = codec;
    this.multihashCode = multihashCode;
    this.digestOffset = digestOffset;
    this.hashCode = Arrays.hashCode(bytes);
  }

  // ---- creation ----

  public static Cid ofDagCbor(byte[] block) {
    return ofSha256(DAG_CBOR, block, 0, block.length);
  }

  public static Cid ofRaw(byte[] data) {
    return ofSha256(RAW, data, 0, data.length);
  }

  /** CIDv1 with a sha2-256 multihash of {@code data[off..off+len)} for a one-byte-varint codec. */
  public static Cid ofSha256(int codec, byte[] data, int off, int len) {
    if (codec < 0 || codec > 0x7F) throw new IllegalArgumentException("codec must fit one varint byte");
    var b = new byte[36];
    b[0] = 0x01;
    b[1] = (byte) codec;
    b[2] = SHA2_256;
    b[3] = 32;
    var md = sha256();
    md.update(data, off, len);
    try {
      md.digest(b, 4, 32);
    } catch (java.security.DigestException e) {
      throw new IllegalStateException(e);
    }
    return new Cid(b, 1, codec, SHA2_256, 4);
  }

  /**
   * CIDv1 from a sha2-256 digest computed elsewhere, e.g. incrementally over a stream too large to
   * hold in memory (blobs: codec {@link #RAW}).
   */
  public static Cid ofSha256Digest(int codec, byte[] digest) {
    if (codec < 0 || codec > 0x7F) throw new IllegalArgumentException("codec must fit one varint byte");
    if (digest == null || digest.length != 32) throw new IllegalArgumentException("a sha2-256 digest is 32 bytes");
    var b = new byte[36];
    b[0] = 0x01;
    b[1] = (byte) codec;
    b[2] = SHA2_256;
    b[3] = 32;
    System.arraycopy(digest, 0, b, 4, 32);
    return new Cid(b, 1, codec, SHA2_256, 4);
  }

  private static MessageDigest sha256() {
    try {
      return (MessageDigest) SHA256_PROTOTYPE.clone();
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---- parsing ----

  /**
   * Parses a CID string: base32 ('b' prefix), base58btc ('z' prefix) or a CIDv0 ("Qm...").
   *
   * @throws IllegalArgumentException if it is not a well-formed CID
   */
  public static Cid parse(String s) {
    if (s == null || s.length() < 2) throw new IllegalArgumentException("invalid CID: too short");
    if (s.length() > 256) throw new IllegalArgumentException("invalid CID: too long");
    byte[] bin;
    if (s.length() == 46 && s.startsWith("Qm")) {
      bin = Base58.decode(s);
      if (bin.length != 34 || bin[0] != SHA2_256 || bin[1] != 32) throw new IllegalArgumentException("invalid CIDv0");
    } else {
      bin = switch (s.charAt(0)) {
        case 'b' -> Base32.decode(s, 1);
        case 'z' -> Base58.decode(s, 1);
        default -> throw new IllegalArgumentException("invalid CID: unsupported multibase '" + s.charAt(0) + "'");
      };
      if (bin.length > 0 && bin[0] != 0x01) throw new IllegalArgumentException("invalid CID: multibase text must be CIDv1");
    }
    var cid = fromBytes(bin);
    // Cache the text only when it is the canonical form we would print ourselves.
    if (s.charAt(0) == 'b' || cid.version == 0) cid.string = s;
    return cid;
  }

  /**
   * Whether {@code s} passes the loose atproto CID string syntax (Lexicon "cid" format): 8-256
   * characters of [a-zA-Z0-9+=], and not a CIDv0. It does not decode anything; use {@link #parse}.
   */
  public static boolean isValidSyntax(String s) {
    return s != null && SYNTAX.matcher(s).matches() && !s.startsWith("Qmb");
  }

  /** Parses a binary CID (no multibase prefix) occupying all of {@code binary}. */
  public static Cid fromBytes(byte[] binary) {
    var cid = readFrom(binary, 0, binary.length);
    if (cid.bytes.length != binary.length) throw new IllegalArgumentException("invalid CID: trailing bytes");
    return cid;
  }

  /** Parses a binary CID starting at {@code offset}; its length is {@link #byteLength()}. */
  public static Cid readFrom(byte[] buf, int offset) {
    return readFrom(buf, offset, buf.length);
  }

  /** As {@link #readFrom(byte[], int)}, bounded by {@code limit}. */
  public static Cid readFrom(byte[] buf, int offset, int limit) {
    if (offset < 0 || limit > buf.length || offset >= limit) throw new IllegalArgumentException("invalid CID: empty");
    // CIDv0 is a bare sha2-256 multihash.
    if (buf[offset] == SHA2_256) {
      if (limit - offset < 34 || buf[offset + 1] != 32) throw new IllegalArgumentException("invalid CIDv0");
      return new Cid(Arrays.copyOfRange(buf, offset, offset + 34), 0, DAG_PB, SHA2_256, 2);
    }
    int p = offset;
    long version = Varint.read(buf, p, limit);
    p += Varint.size(version);
    if (version != 1) throw new IllegalArgumentException("invalid CID: unsupported version " + version);
    long codec = Varint.read(buf, p, limit);
    p += Varint.size(codec);
    long hash = Varint.read(buf, p, limit);
    p += Varint.size(hash);
    long len = Varint.read(buf, p, limit);
    p += Varint.size(len);
    if (codec > Integer.MAX_VALUE || hash > Integer.MAX_VALUE) throw new IllegalArgumentException("invalid CID: code too large");
    if (len > limit - p) throw new IllegalArgumentException("invalid CID: truncated digest");
    if (hash == SHA2_256 && len != 32) throw new IllegalArgumentException("invalid CID: sha2-256 digest must be 32 bytes");
    int digestOffset = p - offset;
    int end = p + (int) len;
    return new Cid(Arrays.copyOfRange(buf, offset, end), 1, (int) codec, (int) hash, digestOffset);
  }

  // ---- accessors ----

  /** The binary form (a copy). */
  public byte[] bytes() {
    return bytes.clone();
  }

  /** Copies the binary form into {@code dst} at {@code off}; returns the offset after it. */
  public int copyTo(byte[] dst, int off) {
    System.arraycopy(bytes, 0, dst, off, bytes.length);
    return off + bytes.length;
  }

  /** Writes the binary form to {@code out}. */
  public void writeTo(java.io.OutputStream out) throws java.io.IOException {
    out.write(bytes);
  }

  public int byteLength() {
    return bytes.length;
  }

  public int version() {
    return version;
  }

  public int codec() {
    return codec;
  }

  /** The multihash function code (0x12 for sha2-256). */
  public int multihashCode() {
    return multihashCode;
  }

  public byte[] digest() {
    return Arrays.copyOfRange(bytes, digestOffset, bytes.length);
  }

  /** Whether {@code block} hashes to this CID's digest. Only sha2-256 and identity are supported. */
  public boolean matches(byte[] block) {
    return matches(block, 0, block.length);
  }

  public boolean matches(byte[] block, int off, int len) {
    if (multihashCode == IDENTITY) {
      return Arrays.equals(bytes, digestOffset, bytes.length, block, off, off + len);
    }
    if (multihashCode != SHA2_256) return false;
    if (bytes.length - digestOffset != 32) return false;
    var md = sha256();
    md.update(block, off, len);
    return Arrays.equals(md.digest(), 0, 32, bytes, digestOffset, bytes.length);
  }

  // ---- identity ----

  @Override
  public String toString() {
    var s = string;
    if (s == null) {
      s = version == 0 ? Base58.encode(bytes) : Base32.encode(bytes, 0, bytes.length, 'b');
      string = s;
    }
    return s;
  }

  @Override
  public boolean equals(Object o) {
    return o == this || (o instanceof Cid c && c.hashCode == hashCode && Arrays.equals(c.bytes, bytes));
  }

  @Override
  public int hashCode() {
    return hashCode;
  }

  @Override
  public int compareTo(Cid o) {
    return Arrays.compareUnsigned(bytes, o.bytes);
  }

  /** Internal: the backing bytes, never to be modified. */
  byte[] rawBytes() {
    return bytes;
  }
}
