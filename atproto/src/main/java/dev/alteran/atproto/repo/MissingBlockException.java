package dev.alteran.atproto.repo;

import dev.alteran.atproto.data.Cid;

/** A block the operation needs is not in the block source. */
public final class MissingBlockException extends RepoException {
    private final Cid cid;

    public MissingBlockException(Cid cid, String what) {
        super("missing " + what + " block " + cid);
        this.cid = cid;
    }

    public Cid cid() {
        return cid;
    }
}
