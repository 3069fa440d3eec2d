package dev.alteran.atproto.syntax;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * A BCP-47 language tag (RFC 5646), checked structurally: primary language (two or three lower-case letters),
 * up to three extlangs, script, region, variants, extensions and private use, plus the irregular grandfathered
 * tags. Repeated variants or extension singletons are rejected (RFC 5646 section 2.2.9). Subtags are not checked
 * against the IANA registry.
 */
public record Language(String value) {
    private static final Set<String> GRANDFATHERED = Set.of(
            "en-gb-oed", "i-ami", "i-bnn", "i-default", "i-enochian", "i-hak", "i-klingon", "i-lux", "i-mingo",
            "i-navajo", "i-pwn", "i-tao", "i-tay", "i-tsu", "sgn-be-fr", "sgn-be-nl", "sgn-ch-de",
            "art-lojban", "cel-gaulish", "no-bok", "no-nyn", "zh-guoyu", "zh-hakka", "zh-min", "zh-min-nan", "zh-xiang");

    public Language {
        var reason = problem(value);
        if (reason != null) throw InvalidSyntaxException.of("language tag", value, reason);
    }

    public static boolean isValid(String s) {
        return problem(s) == null;
    }

    public static Language parse(String s) {
        return new Language(s);
    }

    private static String problem(String s) {
        if (s == null) return "null";
        if (GRANDFATHERED.contains(s.toLowerCase(Locale.ROOT))) return null;
        var tags = s.split("-", -1);
        for (var t : tags) if (t.isEmpty()) return "empty subtag";
        for (var t : tags) if (!alnum(t)) return "subtags must be ASCII letters and digits";
        if (isX(tags[0])) return privateUse(tags, 0);

        int i = 0;
        if (!(tags[0].length() >= 2 && tags[0].length() <= 3 && lowerAlpha(tags[0])))
            return "primary language subtag must be two or three lower-case letters";
        i++;
        for (int n = 0; n < 3 && i < tags.length && tags[i].length() == 3 && alpha(tags[i]); n++) i++; // extlang
        if (i < tags.length && tags[i].length() == 4 && alpha(tags[i])) i++; // script
        if (i < tags.length && ((tags[i].length() == 2 && alpha(tags[i])) || (tags[i].length() == 3 && digits(tags[i]))))
            i++; // region
        var variants = new HashSet<String>();
        while (i < tags.length && isVariant(tags[i])) {
            if (!variants.add(tags[i].toLowerCase(Locale.ROOT))) return "repeated variant subtag " + tags[i];
            i++;
        }
        var singletons = new HashSet<Character>();
        while (i < tags.length && tags[i].length() == 1 && !isX(tags[i])) {
            if (!singletons.add(Character.toLowerCase(tags[i].charAt(0))))
                return "repeated extension singleton " + tags[i];
            int start = ++i;
            while (i < tags.length && tags[i].length() >= 2 && tags[i].length() <= 8) i++;
            if (i == start) return "extension " + tags[start - 1] + " has no subtags";
        }
        if (i < tags.length && isX(tags[i])) return privateUse(tags, i);
        if (i < tags.length) return "unexpected subtag " + tags[i];
        return null;
    }

    private static String privateUse(String[] tags, int x) {
        if (x + 1 >= tags.length) return "private use \"x\" needs at least one subtag";
        for (int i = x + 1; i < tags.length; i++)
            if (tags[i].length() > 8) return "private use subtag longer than 8 characters";
        return null;
    }

    private static boolean isVariant(String t) {
        return (t.length() >= 5 && t.length() <= 8) || (t.length() == 4 && Character.isDigit(t.charAt(0)));
    }

    private static boolean isX(String t) {
        return t.equals("x") || t.equals("X");
    }

    private static boolean alnum(String t) {
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
        }
        return true;
    }

    private static boolean alpha(String t) {
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
        }
        return true;
    }

    private static boolean lowerAlpha(String t) {
        for (int i = 0; i < t.length(); i++) if (t.charAt(i) < 'a' || t.charAt(i) > 'z') return false;
        return true;
    }

    private static boolean digits(String t) {
        for (int i = 0; i < t.length(); i++) if (t.charAt(i) < '0' || t.charAt(i) > '9') return false;
        return true;
    }

    @Override
    public String toString() {
        return value;
    }
}
