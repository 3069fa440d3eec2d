package dev.alteran.pds.store;

import dev.alteran.atproto.data.Cid;

/**
 * A compare-and-swap condition on one record ({@code swapRecord}): the record must currently have
 * {@code cid}, or, when {@code cid} is null, must not exist. No condition at all is a null RecordSwap.
 */
public record RecordSwap(Cid cid) {
    public static final RecordSwap ABSENT = new RecordSwap(null);

    public boolean matches(Cid current) {
        return cid == null ? current == null : cid.equals(current);
    }
}
