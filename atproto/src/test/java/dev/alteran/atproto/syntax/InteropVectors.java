package dev.alteran.atproto.syntax;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Reads an interop syntax vector file from the classpath: one case per line; blank and # lines are comments. */
final class InteropVectors {
    private InteropVectors() {}

    static List<String> lines(String file) {
        try (var in = InteropVectors.class.getResourceAsStream("/interop/syntax/" + file)) {
            if (in == null) throw new IllegalStateException("missing test resource " + file);
            var text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            // Whitespace is significant (some cases test leading/trailing spaces), so lines are never trimmed.
            return text.lines().filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
