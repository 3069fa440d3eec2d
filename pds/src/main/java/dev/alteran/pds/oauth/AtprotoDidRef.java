package dev.alteran.pds.oauth;

import dev.alteran.atproto.syntax.Did;

/**
 * The {@code aud} of {@code rpc:} and {@code include:} scopes: an absolute DID reference
 * {@code did#fragment} whose DID is one atproto allows (did:plc, or did:web without path and, but on
 * localhost, without port), as {@code @atproto/did}'s isAtprotoDidRefAbsolute.
 */
final class AtprotoDidRef {
    private AtprotoDidRef() {}

    static boolean isValid(Object value) {
        if (!(value instanceof String s)) return false;
        int hash = s.indexOf('#');
        if (hash == -1 || hash == s.length() - 1 || s.indexOf('#', hash + 1) != -1) return false;
        return isFragment(s, hash + 1) && isAtprotoDid(s.substring(0, hash));
    }

    static boolean isAtprotoDid(String did) {
        if (did.startsWith("did:plc:")) {
            if (did.length() != 32) return false;
            for (int i = 8; i < 32; i++) {
                char c = did.charAt(i);
                if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'))) return false;
            }
            return true;
        }
        if (!did.startsWith("did:web:") || did.length() == 8 || did.charAt(8) == ':' || !Did.isValid(did)) return false;
        if (did.indexOf(':', 8) != -1) return false; // a path
        boolean localhost = did.equals("did:web:localhost") || did.startsWith("did:web:localhost%3A");
        return localhost || !did.contains("%3A"); // a port
    }

    /** RFC 3986 fragment characters: pchar, "/" and "?", with well-formed escapes. */
    private static boolean isFragment(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || "-._~!$&'()*+,;=:@/?".indexOf(c) >= 0) {
                continue;
            }
            if (c != '%' || i + 2 >= s.length() || Character.digit(s.charAt(i + 1), 16) < 0 || Character.digit(s.charAt(i + 2), 16) < 0) {
                return false;
            }
            i += 2;
        }
        return true;
    }
}
