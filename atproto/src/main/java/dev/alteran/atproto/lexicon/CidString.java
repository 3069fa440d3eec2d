package dev.alteran.atproto.lexicon;

/**
 * Loose syntax check for the {@code cid} string format, matching the interop CID syntax vectors:
 * 8-256 characters of a multibase alphabet, and not a legacy CIDv0 ({@code Qm...}).
 * A full decode belongs to the data-model CID type; this only guards schema validation.
 */
final class CidString {
    private CidString() {}

    static boolean isValid(String s) {
        if (s == null || s.length() < 8 || s.length() > 256 || s.startsWith("Qm")) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '='))
                return false;
        }
        return true;
    }
}
