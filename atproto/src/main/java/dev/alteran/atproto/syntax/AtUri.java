package dev.alteran.atproto.syntax;

/**
 * The restricted AT-URI form used in Lexicon {@code at-uri} fields and by repositories:
 * {@code at://<did-or-handle>[/<collection-nsid>[/<record-key>]]}, with no query, fragment or trailing slash.
 *
 * @param authority  the repository (DID or handle)
 * @param collection the collection NSID, or null for a URI naming the whole repository
 * @param rkey       the record key, or null; only present with a collection
 */
public record AtUri(AtIdentifier authority, Nsid collection, RecordKey rkey) {
    /** Spec: AT-URIs are limited to 8 KB. */
    public static final int MAX_LENGTH = 8 * 1024;
    private static final String PREFIX = "at://";

    public AtUri {
        if (authority == null) throw new InvalidSyntaxException("Invalid AT-URI: authority is required");
        if (rkey != null && collection == null)
            throw new InvalidSyntaxException("Invalid AT-URI: a record key needs a collection");
    }

    public static AtUri of(AtIdentifier authority, Nsid collection, RecordKey rkey) {
        return new AtUri(authority, collection, rkey);
    }

    /** The URI of a record: {@code at://did/collection/rkey}. */
    public static AtUri record(String did, String collection, String rkey) {
        return new AtUri(Did.parse(did), Nsid.parse(collection), RecordKey.parse(rkey));
    }

    public static boolean isValid(String s) {
        try {
            parse(s);
            return true;
        } catch (InvalidSyntaxException e) {
            return false;
        }
    }

    public static AtUri parse(String s) {
        if (s == null) throw new InvalidSyntaxException("Invalid AT-URI: null");
        if (s.length() > MAX_LENGTH) throw InvalidSyntaxException.of("AT-URI", s, "longer than 8 KB");
        if (!s.startsWith(PREFIX)) throw InvalidSyntaxException.of("AT-URI", s, "must start with \"at://\"");
        var parts = s.substring(PREFIX.length()).split("/", -1);
        if (parts.length > 3)
            throw InvalidSyntaxException.of("AT-URI", s, "path may have at most two segments (collection and record key)");
        for (var part : parts) {
            if (part.isEmpty()) throw InvalidSyntaxException.of("AT-URI", s, "empty path segment or trailing slash");
        }
        try {
            var authority = AtIdentifier.parse(parts[0]);
            var collection = parts.length > 1 ? Nsid.parse(parts[1]) : null;
            var rkey = parts.length > 2 ? RecordKey.parse(parts[2]) : null;
            return new AtUri(authority, collection, rkey);
        } catch (InvalidSyntaxException e) {
            throw new InvalidSyntaxException("Invalid AT-URI " + InvalidSyntaxException.quote(s) + ": " + e.getMessage());
        }
    }

    /** The authority as a DID, or throws if the URI names its repository by handle. */
    public Did did() {
        if (authority instanceof Did d) return d;
        throw new IllegalStateException("AT-URI authority is a handle, not a DID: " + this);
    }

    @Override
    public String toString() {
        var sb = new StringBuilder(PREFIX).append(authority.value());
        if (collection != null) sb.append('/').append(collection.value());
        if (rkey != null) sb.append('/').append(rkey.value());
        return sb.toString();
    }
}
