package dev.alteran.atproto.syntax;

/**
 * A Timestamp Identifier: 13 characters of base32-sortable encoding a 64-bit integer whose top bit is 0,
 * then 53 bits of microseconds since the Unix epoch, then a 10-bit clock id.
 * String order equals numeric order equals time order.
 */
public record Tid(String value) implements Comparable<Tid> {
    public static final int LENGTH = 13;
    static final String ALPHABET = "234567abcdefghijklmnopqrstuvwxyz";
    private static final int[] DECODE = new int[128];

    static {
        java.util.Arrays.fill(DECODE, -1);
        for (int i = 0; i < ALPHABET.length(); i++) DECODE[ALPHABET.charAt(i)] = i;
    }

    public Tid {
        var reason = problem(value);
        if (reason != null) throw InvalidSyntaxException.of("TID", value, reason);
    }

    public static boolean isValid(String s) {
        return problem(s) == null;
    }

    public static Tid parse(String s) {
        return new Tid(s);
    }

    private static String problem(String s) {
        if (s == null) return "null";
        if (s.length() != LENGTH) return "must be exactly 13 characters";
        for (int i = 0; i < LENGTH; i++) {
            char c = s.charAt(i);
            if (c >= 128 || DECODE[c] < 0) return "character at index " + i + " is not base32-sortable (2-7, a-z)";
        }
        // The first character carries the top bit, which must be zero: only 2-7 and a-j fit.
        if (DECODE[s.charAt(0)] >= 16) return "first character must be one of 234567abcdefghij (high bit set)";
        return null;
    }

    /** Encodes a non-negative 63-bit integer as a TID. */
    public static Tid of(long bits) {
        return new Tid(encode(bits));
    }

    /** The TID for a timestamp (microseconds since epoch, 53 bits) and clock id (10 bits). */
    public static Tid of(long micros, int clockId) {
        if (micros < 0 || micros >= (1L << 53)) throw new IllegalArgumentException("timestamp out of range: " + micros);
        if (clockId < 0 || clockId >= 1024) throw new IllegalArgumentException("clock id out of range: " + clockId);
        return of((micros << 10) | clockId);
    }

    public static String encode(long bits) {
        if (bits < 0) throw new IllegalArgumentException("TID value must be non-negative: " + bits);
        var out = new char[LENGTH];
        for (int i = LENGTH - 1; i >= 0; i--) {
            out[i] = ALPHABET.charAt((int) (bits & 31));
            bits >>>= 5;
        }
        return new String(out);
    }

    /**
     * The 64-bit pattern of a TID. The syntax allows first characters {@code c-j}, which set bit 63;
     * those decode to negative longs (still ordered correctly by {@link #compareTo}, which compares strings).
     */
    public static long decode(String s) {
        var reason = problem(s);
        if (reason != null) throw InvalidSyntaxException.of("TID", s, reason);
        long bits = 0;
        for (int i = 0; i < LENGTH; i++) bits = (bits << 5) | DECODE[s.charAt(i)];
        return bits;
    }

    public long toLong() {
        return decode(value);
    }

    public long timestampMicros() {
        return toLong() >>> 10;
    }

    public int clockId() {
        return (int) (toLong() & 1023);
    }

    @Override
    public int compareTo(Tid o) {
        return value.compareTo(o.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
