package dev.alteran.atproto.lexicon;

import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.syntax.AtIdentifier;
import dev.alteran.atproto.syntax.AtUri;
import dev.alteran.atproto.syntax.Datetime;
import dev.alteran.atproto.syntax.Did;
import dev.alteran.atproto.syntax.Handle;
import dev.alteran.atproto.syntax.Language;
import dev.alteran.atproto.syntax.Nsid;
import dev.alteran.atproto.syntax.RecordKey;
import dev.alteran.atproto.syntax.Tid;
import dev.alteran.atproto.syntax.UriSyntax;
import java.util.function.Predicate;

/** The Lexicon {@code string} formats and the syntax each one requires. */
public enum StringFormat {
    AT_IDENTIFIER("at-identifier", AtIdentifier::isValid),
    AT_URI("at-uri", AtUri::isValid),
    CID("cid", Cid::isValidSyntax),
    DATETIME("datetime", Datetime::isValid),
    DID("did", Did::isValid),
    HANDLE("handle", Handle::isValid),
    NSID("nsid", Nsid::isValid),
    TID("tid", Tid::isValid),
    RECORD_KEY("record-key", RecordKey::isValid),
    URI("uri", UriSyntax::isValid),
    LANGUAGE("language", Language::isValid);

    private final String wireName;
    private final Predicate<String> check;

    StringFormat(String wireName, Predicate<String> check) {
        this.wireName = wireName;
        this.check = check;
    }

    /** The name used in schemas, e.g. {@code at-uri}. */
    public String wireName() {
        return wireName;
    }

    public boolean isValid(String value) {
        return check.test(value);
    }

    /** The format with this schema name, or null. */
    public static StringFormat fromWireName(String name) {
        for (var f : values()) if (f.wireName.equals(name)) return f;
        return null;
    }
}
