package dev.alteran.pds.identity;

/** The DID existed but was deactivated (a PLC tombstone answers 410 Gone). */
public final class DidDeactivatedException extends ResolutionException {
    public DidDeactivatedException(String did) {
        super("DID is deactivated: " + did);
    }
}
