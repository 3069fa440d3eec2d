package dev.alteran.pds.config;

import java.util.List;

/**
 * The standalone server's Prometheus endpoint, {@code /metrics}: off unless one of these is set.
 *
 * @param token   {@code PDS_METRICS_TOKEN}: {@code /metrics} on the PDS's own port, for requests bearing this token
 * @param address {@code PDS_METRICS_ADDRESS}: a separate {@code host:port} that serves only {@code /metrics},
 *                without a token (keep it on a private interface)
 */
public record MetricsConfig(String token, String address) {
    /** A token shorter than this is guessable. */
    static final int MIN_TOKEN_LENGTH = 16;

    public static MetricsConfig off() {
        return new MetricsConfig(null, null);
    }

    public boolean enabled() {
        return token != null || address != null;
    }

    /** The host of {@link #address}, without the brackets of an IPv6 literal. */
    public String host() {
        var host = address.substring(0, address.lastIndexOf(':'));
        return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    }

    public int port() {
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    void addProblems(List<String> problems) {
        if (token != null && (token.length() < MIN_TOKEN_LENGTH || !token.matches("\\S+"))) {
            problems.add("PDS_METRICS_TOKEN: must be at least " + MIN_TOKEN_LENGTH + " characters without spaces, e.g. from `openssl rand -hex 32`");
        }
        if (address != null) {
            var m = java.util.regex.Pattern.compile("(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):([0-9]{1,5})").matcher(address);
            if (!m.matches() || Integer.parseInt(m.group(2)) > 65535) {
                problems.add("PDS_METRICS_ADDRESS: '" + address + "' is not host:port, like 127.0.0.1:9090");
            }
        }
    }
}
