package dev.alteran.pds.oauth;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The URI rules of {@code @atproto/oauth-types} that client ids and client metadata use: https URIs
 * on public domain names, loopback URIs, private-use scheme URIs (RFC 8252) and the redirect URIs
 * built from them. Each check returns null when the value passes, or says why it does not.
 */
final class ClientUris {
    private static final Pattern PRIVATE_USE_PREFIX = Pattern.compile("^[^.:]+(?:\\.[^.:]+)+:.*", Pattern.DOTALL);
    private static final List<String> LOCAL_TLDS = List.of("test", "local", "localhost", "invalid", "example");

    private ClientUris() {}

    static URI parse(String value) {
        if (value == null || value.indexOf(':') == -1) return null;
        try {
            var uri = new URI(value);
            return uri.isAbsolute() ? uri : null;
        } catch (URISyntaxException e) {
            return null;
        }
    }

    static boolean isLoopbackHost(String host) {
        return "localhost".equals(host) || "127.0.0.1".equals(host) || "[::1]".equals(host);
    }

    static boolean isIpHost(String host) {
        return host.matches("\\d+\\.\\d+\\.\\d+\\.\\d+") || (host.startsWith("[") && host.endsWith("]"));
    }

    /** A name that cannot be a public internet domain: a single label, or a reserved test TLD. */
    static boolean isLocalHostname(String host) {
        var parts = host.split("\\.", -1);
        if (parts.length < 2) return true;
        return LOCAL_TLDS.contains(parts[parts.length - 1].toLowerCase(Locale.ROOT));
    }

    /** An https URL whose host is not loopback and, if a name, has two labels and does not end in .local. */
    static String httpsProblem(String value) {
        var uri = parse(value);
        if (uri == null) return "Invalid URL";
        if (!value.startsWith("https://")) return "URL must use the \"https:\" protocol";
        var host = uri.getHost();
        if (host == null) return "Invalid URL";
        if (isLoopbackHost(host)) return "https: URL must not use a loopback host";
        if (!isIpHost(host)) {
            if (!host.contains(".")) return "Domain name must contain at least two segments";
            if (host.endsWith(".local")) return "Domain name must not end with \".local\"";
        }
        return null;
    }

    /** An http URL on localhost, 127.0.0.1 or [::1]. */
    static String loopbackProblem(String value) {
        var uri = parse(value);
        if (uri == null) return "Invalid URL";
        if (!value.startsWith("http://")) return "URL must use the \"http:\" protocol";
        if (uri.getHost() == null || !isLoopbackHost(uri.getHost())) return "URL must use \"localhost\", \"127.0.0.1\" or \"[::1]\" as hostname";
        return null;
    }

    /** A loopback redirect URI: as {@link #loopbackProblem} but an IP, never "localhost" (RFC 8252). */
    static String loopbackRedirectProblem(String value) {
        var problem = loopbackProblem(value);
        if (problem != null) return problem;
        if (value.startsWith("http://localhost")) {
            return "Use of \"localhost\" hostname is not allowed (RFC 8252), use a loopback IP such as \"127.0.0.1\" instead";
        }
        return null;
    }

    /** {@code reverse.domain.name:/path}: a dotted scheme, one slash, no authority. */
    static String privateUseProblem(String value) {
        var uri = parse(value);
        if (uri == null) return "Invalid URL";
        int dot = value.indexOf('.');
        int colon = value.indexOf(':');
        if (dot == -1 || dot > colon) return "Private-use URI scheme requires a \".\" as part of the protocol";
        var scheme = uri.getScheme();
        if (!scheme.contains(".")) return "Invalid private-use URI scheme";
        var domain = String.join(".", reversed(scheme.split("\\.")));
        if (isLocalHostname(domain)) return "Private-Use URI Scheme redirect URI must not be a local hostname";
        if (value.startsWith(scheme + "://") || uri.getRawAuthority() != null) {
            return "Private-Use URI Scheme must be in the form <scheme>:/{path} (notice the single slash!) as per RFC 8252";
        }
        return null;
    }

    /** An http(s) URI for display or fetching: loopback http, or https as {@link #httpsProblem}. */
    static String webProblem(String value) {
        if (value.startsWith("http://")) return loopbackProblem(value);
        if (value.startsWith("https://")) return httpsProblem(value);
        return "URL must use the \"http:\" or \"https:\" protocol";
    }

    /** A redirect URI in any of the three forms. */
    static String redirectProblem(String value) {
        if (value.startsWith("https:")) return httpsProblem(value);
        if (value.startsWith("http:")) return loopbackRedirectProblem(value);
        if (PRIVATE_USE_PREFIX.matcher(value).matches()) return privateUseProblem(value);
        return "URL must use the \"https:\" or \"http:\" protocol, or a private-use URI scheme (RFC 8252)";
    }

    static String reverseDomain(String domain) {
        return String.join(".", reversed(domain.split("\\.")));
    }

    private static List<String> reversed(String[] parts) {
        return java.util.Arrays.asList(parts).reversed();
    }

    /** The path exactly as written in an http(s) URL (between authority and query or fragment). */
    static String writtenPath(String url) {
        int start = url.startsWith("https://") ? 8 : url.startsWith("http://") ? 7 : -1;
        if (start == -1) return null;
        int end = url.length();
        for (int i = start; i < url.length(); i++) {
            char c = url.charAt(i);
            if (c == '?' || c == '#') {
                end = i;
                break;
            }
        }
        int slash = url.indexOf('/', start);
        return slash == -1 || slash > end ? "" : url.substring(slash, end);
    }
}
