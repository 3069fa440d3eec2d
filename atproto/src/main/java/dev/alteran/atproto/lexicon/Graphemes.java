package dev.alteran.atproto.lexicon;

import java.text.BreakIterator;

/** Counts user-perceived characters (extended grapheme clusters), as Lexicon {@code maxGraphemes} requires. */
public final class Graphemes {
    private Graphemes() {}

    public static int count(String s) {
        // Every grapheme holds at least one char, and the JDK's character BreakIterator follows the
        // Unicode extended grapheme cluster rules (emoji ZWJ sequences, flags, combining marks).
        if (s.isEmpty()) return 0;
        var it = BreakIterator.getCharacterInstance();
        it.setText(s);
        int n = 0;
        while (it.next() != BreakIterator.DONE) n++;
        return n;
    }
}
