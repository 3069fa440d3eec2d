package dev.alteran.atproto.syntax;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.regex.Pattern;

/**
 * An atproto datetime: the intersection of RFC 3339 and ISO 8601, e.g. {@code 1985-04-12T23:20:50.123Z}.
 * Upper-case T and Z, seconds required, a timezone ({@code Z} or {@code +hh:mm}, never {@code -00:00}) required,
 * any number of fractional digits, and a real calendar instant no earlier than year 0000 UTC.
 *
 * @param value   the string as written
 * @param instant the instant it denotes (fraction truncated to nanoseconds)
 */
public record Datetime(String value, Instant instant) implements Comparable<Datetime> {
    private static final Pattern SYNTAX = Pattern.compile(
            "(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d+))?(Z|([+-])(\\d{2}):(\\d{2}))");
    private static final Instant MIN = Instant.parse("0000-01-01T00:00:00Z");
    private static final DateTimeFormatter CANONICAL =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    public Datetime {
        if (value == null || instant == null) throw new InvalidSyntaxException("Invalid datetime: null");
    }

    /** True if the string has the datetime shape (regardless of whether its fields form a real date). */
    public static boolean isValidSyntax(String s) {
        return s != null && SYNTAX.matcher(s).matches() && !s.endsWith("-00:00");
    }

    /** True if the string has the datetime shape and denotes a real instant (no month 13, no hour 25 ...). */
    public static boolean isValid(String s) {
        try {
            parse(s);
            return true;
        } catch (InvalidSyntaxException e) {
            return false;
        }
    }

    public static Datetime parse(String s) {
        if (s == null) throw new InvalidSyntaxException("Invalid datetime: null");
        var m = SYNTAX.matcher(s);
        if (!m.matches())
            throw InvalidSyntaxException.of("datetime", s, "expected YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM)");
        if (s.endsWith("-00:00")) throw InvalidSyntaxException.of("datetime", s, "\"-00:00\" offset is not allowed");
        try {
            var local = LocalDateTime.of(num(m.group(1)), num(m.group(2)), num(m.group(3)),
                    num(m.group(4)), num(m.group(5)), num(m.group(6)), nanos(m.group(7)));
            var offset = m.group(8).equals("Z") ? ZoneOffset.UTC
                    : ZoneOffset.ofHoursMinutes(sign(m.group(9)) * num(m.group(10)), sign(m.group(9)) * num(m.group(11)));
            var instant = local.toInstant(offset);
            if (instant.isBefore(MIN)) throw InvalidSyntaxException.of("datetime", s, "before year 0000 in UTC");
            return new Datetime(s, instant);
        } catch (DateTimeException e) {
            throw InvalidSyntaxException.of("datetime", s, "not a real date and time (" + e.getMessage() + ")");
        }
    }

    /** The canonical atproto form of an instant: UTC, millisecond precision, e.g. {@code 2024-01-15T12:30:00.000Z}. */
    public static String format(Instant instant) {
        var t = LocalDateTime.ofEpochSecond(instant.getEpochSecond(), 0, ZoneOffset.UTC);
        if (t.getYear() < 0 || t.getYear() > 9999) return CANONICAL.format(instant.truncatedTo(ChronoUnit.MILLIS));
        // By hand: every commit and event is stamped, and the formatter costs ~1 µs each.
        var b = new StringBuilder(24);
        digits(b, t.getYear(), 4).append('-');
        digits(b, t.getMonthValue(), 2).append('-');
        digits(b, t.getDayOfMonth(), 2).append('T');
        digits(b, t.getHour(), 2).append(':');
        digits(b, t.getMinute(), 2).append(':');
        digits(b, t.getSecond(), 2).append('.');
        return digits(b, instant.getNano() / 1_000_000, 3).append('Z').toString();
    }

    private static StringBuilder digits(StringBuilder b, int value, int width) {
        var s = Integer.toString(value);
        for (int i = s.length(); i < width; i++) b.append('0');
        return b.append(s);
    }

    /** The current time in canonical form. */
    public static String now() {
        return format(Instant.now());
    }

    private static int num(String digits) {
        return Integer.parseInt(digits);
    }

    private static int sign(String s) {
        return s.equals("-") ? -1 : 1;
    }

    private static int nanos(String fraction) {
        if (fraction == null) return 0;
        var nine = fraction.length() >= 9 ? fraction.substring(0, 9) : (fraction + "000000000").substring(0, 9);
        return Integer.parseInt(nine);
    }

    @Override
    public int compareTo(Datetime o) {
        return instant.compareTo(o.instant);
    }

    @Override
    public String toString() {
        return value;
    }
}
