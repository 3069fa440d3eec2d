package dev.alteran.pds.store;

import java.time.Duration;

/** Remembers one-time values (a DPoP proof's jti, a client assertion's jti) for as long as they could be replayed. */
public interface ReplayStore {
    /**
     * Records {@code value} in {@code namespace} for {@code ttl}; true the first time, false if it was
     * already recorded there and has not expired (a replay).
     */
    boolean unique(String namespace, String value, Duration ttl);
}
