package dev.alteran.pds.identity;

/** A host resolved to an address outbound HTTP may not connect to (loopback, private, ...); nothing was sent. */
public class RefusedAddressException extends ResolutionException {
    public RefusedAddressException(String host) {
        super("refusing to connect to the non-public address of " + host);
    }
}
