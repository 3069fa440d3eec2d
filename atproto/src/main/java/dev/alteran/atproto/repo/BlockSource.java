package dev.alteran.atproto.repo;

import dev.alteran.atproto.data.Cid;

/** Read access to content-addressed blocks (a blockstore, a CAR file, a proof). */
@FunctionalInterface
public interface BlockSource {
    /** The block's bytes, or null when this source does not have it. */
    byte[] get(Cid cid);

    default boolean has(Cid cid) {
        return get(cid) != null;
    }

    /** A source with no blocks. */
    static BlockSource empty() {
        return cid -> null;
    }

    /**
     * This source, but every block read is checked against its CID; a block whose bytes do not hash
     * to the CID is an error. For untrusted input such as a CAR received from elsewhere.
     */
    default BlockSource verifying() {
        var self = this;
        return new BlockSource() {
            @Override
            public byte[] get(Cid cid) {
                var bytes = self.get(cid);
                if (bytes != null && !cid.matches(bytes)) throw new RepoException("block does not match its CID " + cid);
                return bytes;
            }

            @Override
            public boolean has(Cid cid) {
                return self.has(cid);
            }
        };
    }

    /** Blocks from {@code this}, falling back to {@code other}. */
    default BlockSource or(BlockSource other) {
        var self = this;
        return cid -> {
            var b = self.get(cid);
            return b != null ? b : other.get(cid);
        };
    }
}
