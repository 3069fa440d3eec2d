package dev.alteran.bench.http;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The run's table: both systems' figures, the ratio in Alteran's favour, and the target. */
final class Report {
    enum Better { HIGHER, LOWER, NONE }

    private record Row(String measure, double alteran, double reference, Better better, String target, Boolean met,
                       Map<String, Double> values) {}

    private final Map<String, String> meta = new LinkedHashMap<>();
    private final List<Row> rows = new ArrayList<>();
    private final Map<Integer, String> sections = new LinkedHashMap<>(); // row index -> title of the table starting there
    private String[] compared; // short names of the first table and the second, for their ratios side by side

    void meta(String key, String value) {
        meta.put(key, value);
    }

    /** {@code met} is for absolute targets; ratio targets ("&gt;= Nx") are checked here. */
    void row(String measure, Map<String, Double> values, Better better, String target, Boolean met) {
        var r = new Row(measure, values.getOrDefault("alteran", Double.NaN), values.getOrDefault("reference", Double.NaN),
                better, target, met, Map.copyOf(values));
        rows.add(r);
        LoadRun.log("%s: %s", measure, values);
    }

    /** A further system's column (its figure and its own ratio to the reference), e.g. Alteran on PostgreSQL. */
    private final Map<String, String> columns = new LinkedHashMap<>();

    void column(String system, String title) {
        columns.put(system, title);
    }

    /** {@code system}'s figure in the first row whose measure starts with {@code measure}, or null. */
    Double value(String measure, String system) {
        return rows.stream().filter(r -> r.measure.startsWith(measure) && r.values.containsKey(system)).map(r -> r.values.get(system))
                .findFirst().orElse(null);
    }

    private static double ratio(Better better, double value, double reference) {
        return switch (better) {
            case HIGHER -> value / reference;
            case LOWER -> reference / value;
            case NONE -> Double.NaN;
        };
    }

    /** The rows after this start a table of their own under {@code title}; its ratios are shown next to the first table's. */
    void section(String title, String firstName, String name) {
        sections.put(rows.size(), title);
        if (compared == null) compared = new String[] {firstName, name};
    }

    String render() {
        var sb = new StringBuilder();
        meta.forEach((k, v) -> sb.append("- ").append(k).append(": ").append(v).append('\n'));
        for (int i = 0; i < rows.size(); i++) {
            var r = rows.get(i);
            if (i == 0 || sections.containsKey(i)) {
                if (sections.containsKey(i)) sb.append('\n').append(sections.get(i)).append('\n');
                header(sb);
            }
            double ratio = ratio(r.better, r.alteran, r.reference);
            Boolean met = r.met;
            if (met == null && r.target.startsWith(">= ") && r.target.endsWith("x")) {
                met = ratio >= Double.parseDouble(r.target.substring(3, r.target.length() - 1));
            }
            sb.append("| ").append(r.measure).append(" | ").append(num(r.alteran));
            for (var c : columns.keySet()) sb.append(" | ").append(num(r.values.getOrDefault(c, Double.NaN)));
            sb.append(" | ").append(num(r.reference)).append(" | ").append(Double.isNaN(ratio) ? "" : String.format(Locale.ROOT, "%.1fx", ratio));
            for (var c : columns.keySet()) {
                double other = ratio(r.better, r.values.getOrDefault(c, Double.NaN), r.reference);
                sb.append(" | ").append(Double.isNaN(other) ? "" : String.format(Locale.ROOT, "%.1fx", other));
            }
            sb.append(" | ").append(r.target).append(" | ").append(met == null ? "" : met ? "yes" : "**no**").append(" |\n");
        }
        if (compared != null && sections.keySet().iterator().next() > 0) ratiosSideBySide(sb);
        notes.forEach(n -> sb.append('\n').append(n).append('\n'));
        return sb.toString();
    }

    /** A table's header: Alteran, the further columns (e.g. Alteran on PostgreSQL), the reference, the ratios. */
    private void header(StringBuilder sb) {
        sb.append("\n| Measure | Alteran |");
        columns.values().forEach(t -> sb.append(' ').append(t).append(" |"));
        sb.append(" Reference | Ratio |");
        columns.values().forEach(t -> sb.append(' ').append(t).append(" ratio |"));
        sb.append(" Target | Met |\n|---|---:|").append("---:|".repeat(columns.size())).append("---:|---:|")
                .append("---:|".repeat(columns.size())).append("---|---|\n");
    }

    private final List<String> notes = new ArrayList<>();

    /** A paragraph after the tables. */
    void note(String text) {
        notes.add(text);
    }

    /** The ratios of the measures that both the first table and the next one have, next to each other. */
    private void ratiosSideBySide(StringBuilder sb) {
        int split = sections.keySet().iterator().next();
        var second = new LinkedHashMap<String, Row>();
        for (var r : rows.subList(split, rows.size())) second.putIfAbsent(r.measure, r);
        sb.append("\nRatios side by side\n\n| Measure | Ratio, ").append(compared[0]).append(" | Ratio, ").append(compared[1]).append(" |\n|---|---:|---:|\n");
        for (var r : rows.subList(0, split)) {
            var o = second.get(r.measure);
            if (o == null || r.better == Better.NONE) continue;
            sb.append(String.format(Locale.ROOT, "| %s | %.1fx | %.1fx |%n", r.measure, ratio(r), ratio(o)));
        }
    }

    private static double ratio(Row r) {
        return ratio(r.better, r.alteran, r.reference);
    }

    private static String num(double v) {
        if (Double.isNaN(v)) return "n/a";
        if (Math.abs(v) >= 100) return String.format(Locale.ROOT, "%,.0f", v);
        if (Math.abs(v) >= 10) return String.format(Locale.ROOT, "%.1f", v);
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
