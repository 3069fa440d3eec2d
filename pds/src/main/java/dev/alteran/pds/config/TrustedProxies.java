package dev.alteran.pds.config;

import jakarta.servlet.http.HttpServletRequest;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which peers may speak for the client ({@code PDS_TRUSTED_PROXIES}: IPs and CIDR ranges). Only a
 * request from a listed peer has its {@code X-Forwarded-For} and {@code X-Forwarded-Proto} believed;
 * anyone else could write those headers to pose as another address or as HTTPS.
 */
public final class TrustedProxies {
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}");
    /** The network part of an IPv6 client: one subscriber usually holds a whole /64, so it is limited as one. */
    private static final int IPV6_CLIENT_PREFIX = 64;

    private final List<Range> ranges;

    public TrustedProxies(List<String> entries) {
        var parsed = new ArrayList<Range>();
        for (var entry : entries) {
            var range = Range.parse(entry);
            if (range == null) throw new IllegalArgumentException("not an IP address or CIDR range: " + entry);
            parsed.add(range);
        }
        this.ranges = List.copyOf(parsed);
    }

    public static TrustedProxies none() {
        return new TrustedProxies(List.of());
    }

    /** For configuration checks: an IP literal or {@code address/prefix}. Never resolves names. */
    public static boolean isValidEntry(String entry) {
        return Range.parse(entry) != null;
    }

    /**
     * The client's address: the socket peer, unless that peer is a trusted proxy; then the right-most
     * {@code X-Forwarded-For} entry that is not itself a trusted proxy (entries to its left were
     * written by the client and prove nothing). An unreadable entry there ends the walk at the
     * last trusted hop, so garbage never becomes a fresh identity.
     */
    public InetAddress clientAddress(HttpServletRequest req) {
        var peer = parseIp(req.getRemoteAddr());
        if (peer == null || !isTrusted(peer)) return peer;
        var hops = forwardedFor(req);
        var client = peer;
        for (int i = hops.size() - 1; i >= 0; i--) {
            var hop = parseIp(stripPort(hops.get(i)));
            if (hop == null) return client;
            client = hop;
            if (!isTrusted(hop)) return hop;
        }
        return client; // every hop is a proxy of ours: the left-most is the best we know
    }

    /** The rate-limit key for a client: the address, or its /64 network for IPv6. */
    public String clientKey(HttpServletRequest req) {
        var address = clientAddress(req);
        if (address == null) return "unknown";
        if (address instanceof Inet4Address) return address.getHostAddress();
        var bytes = address.getAddress();
        for (int i = IPV6_CLIENT_PREFIX / 8; i < bytes.length; i++) bytes[i] = 0;
        try {
            return InetAddress.getByAddress(bytes).getHostAddress() + "/" + IPV6_CLIENT_PREFIX;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // 16 bytes are always an address
        }
    }

    /** Whether the client reached us over HTTPS: TLS on our socket, or a trusted proxy saying so. */
    public boolean isHttps(HttpServletRequest req) {
        if (req.isSecure()) return true;
        if (ranges.isEmpty()) return false; // no proxy of ours (the default): nothing to parse per request
        var peer = parseIp(req.getRemoteAddr());
        if (peer == null || !isTrusted(peer)) return false;
        var proto = req.getHeader("X-Forwarded-Proto");
        if (proto == null) return false;
        var values = proto.split(",", -1); // -1: "," gives two empty values, not none
        // The right-most value is the one our own proxy wrote (a proxy that overwrites leaves only one).
        return values[values.length - 1].strip().toLowerCase(Locale.ROOT).equals("https");
    }

    private boolean isTrusted(InetAddress address) {
        for (var range : ranges) {
            if (range.contains(address)) return true;
        }
        return false;
    }

    private static List<String> forwardedFor(HttpServletRequest req) {
        var hops = new ArrayList<String>();
        var headers = req.getHeaders("X-Forwarded-For");
        if (headers == null) return hops;
        for (var header : Collections.list(headers)) {
            for (var part : header.split(",")) {
                var hop = part.strip();
                if (!hop.isEmpty()) hops.add(hop);
            }
        }
        return hops;
    }

    /** {@code 1.2.3.4:5678} and {@code [::1]:443} as some proxies write them. */
    private static String stripPort(String hop) {
        if (hop.startsWith("[")) {
            int end = hop.indexOf(']');
            return end < 0 ? hop : hop.substring(1, end);
        }
        int colon = hop.indexOf(':');
        if (colon > 0 && hop.indexOf(':', colon + 1) < 0) return hop.substring(0, colon);
        return hop;
    }

    /** An IP literal, or null. Checked by hand or by pattern first, so that no name is ever looked up in DNS. */
    static InetAddress parseIp(String text) {
        if (text == null) return null;
        var s = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
        try {
            var v4 = ipv4(s); // every request's peer: parsed without a regular expression or the resolver
            if (v4 != null) return InetAddress.getByAddress(v4);
            if (!(s.contains(":") && IPV6.matcher(s).matches())) return null;
            // In brackets an IPv6 literal that does not parse is an error, never a name to look up.
            return InetAddress.getByName("[" + s + "]");
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** Four decimal octets (0-255, no leading zeros), or null. */
    private static byte[] ipv4(String s) {
        var out = new byte[4];
        int parts = 0, value = 0, digits = 0;
        for (int i = 0; i <= s.length(); i++) {
            char c = i < s.length() ? s.charAt(i) : '.'; // the end closes the last octet
            if (c == '.') {
                if (digits == 0 || parts == 4) return null;
                out[parts++] = (byte) value;
                value = 0;
                digits = 0;
            } else if (c >= '0' && c <= '9' && !(digits > 0 && value == 0)) {
                value = value * 10 + (c - '0');
                if (value > 255) return null;
                digits++;
            } else {
                return null;
            }
        }
        return parts == 4 ? out : null;
    }

    private record Range(byte[] network, int prefix) {
        static Range parse(String entry) {
            var s = entry.strip();
            int slash = s.indexOf('/');
            var address = parseIp(slash < 0 ? s : s.substring(0, slash));
            if (address == null) return null;
            int bits = address.getAddress().length * 8;
            int prefix = bits;
            if (slash >= 0) {
                var p = s.substring(slash + 1);
                if (!p.matches("\\d{1,3}")) return null;
                prefix = Integer.parseInt(p);
                if (prefix > bits) return null;
            }
            return new Range(address.getAddress(), prefix);
        }

        boolean contains(InetAddress address) {
            var bytes = address.getAddress();
            if (bytes.length != network.length) return false;
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (bytes[i] != network[i]) return false;
            }
            int rest = prefix % 8;
            if (rest == 0) return true;
            int mask = 0xff << (8 - rest) & 0xff;
            return (bytes[full] & mask) == (network[full] & mask);
        }
    }
}
