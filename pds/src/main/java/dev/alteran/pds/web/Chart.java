package dev.alteran.pds.web;

import dev.alteran.pds.store.RepoStats.DayValue;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small chart as numbers for an inline SVG (the template draws it; no script, no chart library):
 * bars for a value per day, or a filled line for a running total. Coordinates are in a
 * {@link #WIDTH} x {@link #HEIGHT} view box, y growing downwards.
 */
public record Chart(String title, List<Bar> bars, String line, String area, String firstLabel, String lastLabel, String maxLabel,
                    String summary) {
    public static final int WIDTH = 600;
    public static final int HEIGHT = 160;

    /** One bar, with the text a pointer shows over it. */
    public record Bar(String x, String y, String width, String height, String label) {}

    /** A bar per day; {@code unit} names the value in the labels ("records"). */
    static Chart bars(String title, List<DayValue> days, String unit) {
        long max = Math.max(1, days.stream().mapToLong(DayValue::value).max().orElse(0));
        double step = (double) WIDTH / Math.max(1, days.size());
        var bars = new ArrayList<Bar>();
        long total = 0;
        for (int i = 0; i < days.size(); i++) {
            var d = days.get(i);
            total += d.value();
            double h = d.value() == 0 ? 0 : Math.max(1, (double) d.value() / max * (HEIGHT - 4));
            bars.add(new Bar(num(i * step + step * 0.1), num(HEIGHT - h), num(step * 0.8), num(h), d.day() + ": " + d.value() + " " + unit));
        }
        var first = days.isEmpty() ? "" : days.getFirst().day();
        var last = days.isEmpty() ? "" : days.getLast().day();
        return new Chart(title, bars, null, null, first, last, max + " " + unit, total + " " + unit + " in " + days.size() + " days");
    }

    /** A running total over time, from its first day to {@code today}; values formatted by {@link #bytes}. */
    static Chart totalOverTime(String title, List<DayValue> totals, LocalDate today) {
        if (totals.isEmpty()) return new Chart(title, List.of(), null, null, "", "", "0 B", "Nothing stored yet");
        var first = LocalDate.parse(totals.getFirst().day());
        long span = Math.max(1, ChronoUnit.DAYS.between(first, today));
        long max = Math.max(1, totals.getLast().value());
        var points = new StringBuilder();
        double lastY = HEIGHT;
        for (var d : totals) {
            double x = (double) ChronoUnit.DAYS.between(first, LocalDate.parse(d.day())) / span * WIDTH;
            double y = HEIGHT - (double) d.value() / max * (HEIGHT - 4);
            // A step: the total holds until the day it grows.
            if (!points.isEmpty()) points.append(num(x)).append(',').append(num(lastY)).append(' ');
            points.append(num(x)).append(',').append(num(y)).append(' ');
            lastY = y;
        }
        points.append(WIDTH).append(',').append(num(lastY));
        var line = points.toString();
        var area = "0," + HEIGHT + " " + line + " " + WIDTH + "," + HEIGHT;
        return new Chart(title, List.of(), line, area, first.toString(), today.toString(), bytes(max),
                bytes(totals.getLast().value()) + " now, since " + first);
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    /** Bytes for people: 1.5 MB, 820 KB, 12 B (powers of 1024, as storage is usually counted). */
    public static String bytes(long n) {
        if (n < 1024) return n + " B";
        String[] units = {"KB", "MB", "GB", "TB", "PB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
    }

    /** The share of the quota in use, in percent (0 to 100) for a meter. */
    public static String percent(long used, long quota) {
        if (quota <= 0) return "0";
        return String.format(Locale.ROOT, "%.1f", Math.min(100.0, 100.0 * used / quota));
    }
}
