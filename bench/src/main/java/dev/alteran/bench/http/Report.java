package dev.alteran.bench.http;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The run's table: both systems' figures, the ratio in Alteran's favour, and the target. */
final class Report {
    enum Better { HIGHER, LOWER, NONE }

    private record Row(String measure, double alteran, double reference, Better better, String target, Boolean met) {}

    private final Map<String, String> meta = new LinkedHashMap<>();
    private final List<Row> rows = new ArrayList<>();

    void meta(String key, String value) {
        meta.put(key, value);
    }

    /** {@code met} is for absolute targets; ratio targets ("&gt;= Nx") are checked here. */
    void row(String measure, Map<String, Double> values, Better better, String target, Boolean met) {
        var r = new Row(measure, values.getOrDefault("alteran", Double.NaN), values.getOrDefault("reference", Double.NaN),
                better, target, met);
        rows.add(r);
        LoadRun.log("%s: alteran %s, reference %s", measure, num(r.alteran), num(r.reference));
    }

    String render() {
        var sb = new StringBuilder();
        meta.forEach((k, v) -> sb.append("- ").append(k).append(": ").append(v).append('\n'));
        sb.append("\n| Measure | Alteran | Reference | Ratio | Target | Met |\n|---|---:|---:|---:|---|---|\n");
        for (var r : rows) {
            double ratio = switch (r.better) {
                case HIGHER -> r.alteran / r.reference;
                case LOWER -> r.reference / r.alteran;
                case NONE -> Double.NaN;
            };
            Boolean met = r.met;
            if (met == null && r.target.startsWith(">= ") && r.target.endsWith("x")) {
                met = ratio >= Double.parseDouble(r.target.substring(3, r.target.length() - 1));
            }
            sb.append("| ").append(r.measure).append(" | ").append(num(r.alteran)).append(" | ").append(num(r.reference))
                    .append(" | ").append(Double.isNaN(ratio) ? "" : String.format(Locale.ROOT, "%.1fx", ratio))
                    .append(" | ").append(r.target).append(" | ").append(met == null ? "" : met ? "yes" : "**no**").append(" |\n");
        }
        return sb.toString();
    }

    private static String num(double v) {
        if (Double.isNaN(v)) return "n/a";
        if (Math.abs(v) >= 100) return String.format(Locale.ROOT, "%,.0f", v);
        if (Math.abs(v) >= 10) return String.format(Locale.ROOT, "%.1f", v);
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
