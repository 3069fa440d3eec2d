package dev.alteran.atproto.syntax;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * The loose generic-URI check behind the Lexicon {@code uri} string format: an RFC 3986 scheme, a colon,
 * then a non-empty remainder without whitespace, at most 8 KB.
 */
public final class UriSyntax {
    public static final int MAX_LENGTH = 8 * 1024;
    private static final Pattern SYNTAX = Pattern.compile("[a-zA-Z][a-zA-Z0-9+.-]*:(?://)?[^\\s/][^\\s]*");

    private UriSyntax() {}

    public static boolean isValid(String s) {
        return s != null && s.length() <= MAX_LENGTH
                && s.getBytes(StandardCharsets.UTF_8).length <= MAX_LENGTH && SYNTAX.matcher(s).matches();
    }

    public static String parse(String s) {
        if (!isValid(s)) throw InvalidSyntaxException.of("URI", s, "expected scheme:rest without whitespace, at most 8 KB");
        return s;
    }
}
