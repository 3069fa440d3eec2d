package dev.alteran.pds.appview;

import dev.alteran.atproto.syntax.Did;
import dev.alteran.pds.wire.XrpcException;

/** A service named as {@code did#service_id}: the {@code atproto-proxy} header's form. */
public record ServiceRef(String did, String serviceId) {
    @Override
    public String toString() {
        return did + "#" + serviceId;
    }

    /** Parses an {@code atproto-proxy} header; every malformed one is a 400 with the reference PDS's message. */
    public static ServiceRef parse(String header) {
        int hash = header.indexOf('#');
        if (hash == 0) throw XrpcException.invalidRequest("no did specified in proxy header");
        if (hash < 0 || hash == header.length() - 1) throw XrpcException.invalidRequest("no service id specified in proxy header");
        if (header.indexOf('#', hash + 1) >= 0) throw XrpcException.invalidRequest("invalid proxy header format");
        if (header.contains(" ")) throw XrpcException.invalidRequest("proxy header cannot contain spaces");
        var did = header.substring(0, hash);
        var id = header.substring(hash + 1);
        // Only resolvable atproto DIDs, and ids that are plain fragments: both end up in a token and a URL.
        if (!Did.isValid(did) || !(did.startsWith("did:web:") || did.startsWith("did:plc:"))) {
            throw XrpcException.invalidRequest("invalid proxy header format");
        }
        if (!id.matches("[A-Za-z0-9._~:-]{1,128}")) throw XrpcException.invalidRequest("invalid proxy header format");
        return new ServiceRef(did, id);
    }
}
