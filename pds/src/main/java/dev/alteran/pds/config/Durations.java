package dev.alteran.pds.config;

import java.time.Duration;
import java.util.Locale;

/** Durations as people write them in options: {@code 0}, {@code <n>s|m|h|d}, or ISO-8601 such as {@code PT1H}. */
public final class Durations {
    private Durations() {}

    /** The duration {@code value} names; IllegalArgumentException saying what is expected when it names none. */
    public static Duration parse(String value) {
        var v = value.strip().toLowerCase(Locale.ROOT);
        if (v.startsWith("p")) {
            try {
                return Duration.parse(v.toUpperCase(Locale.ROOT));
            } catch (java.time.format.DateTimeParseException e) {
                throw new IllegalArgumentException("'" + value + "' is not a duration like 90s, 30m, 1h or 2d");
            }
        }
        if (v.equals("0")) return Duration.ZERO;
        if (!v.matches("[0-9]{1,9}[smhd]")) throw new IllegalArgumentException("'" + value + "' is not a duration like 90s, 30m, 1h or 2d");
        long n = Long.parseLong(v.substring(0, v.length() - 1));
        return switch (v.charAt(v.length() - 1)) {
            case 's' -> Duration.ofSeconds(n);
            case 'm' -> Duration.ofMinutes(n);
            case 'h' -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }
}
