package dev.alteran.atproto.repo;

import dev.alteran.atproto.car.CarReader;
import dev.alteran.atproto.crypto.PublicKey;
import dev.alteran.atproto.data.Cid;
import java.io.InputStream;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Verifies a whole repository (e.g. a {@code com.atproto.sync.getRepo} CAR): the commit is for the
 * expected DID and signed by its key, every MST node is present and matches its CID, keys are valid,
 * in order and at their height's layer, and (by default) every record block is present.
 */
public final class RepoVerifier {
    /** A verified repository: its head commit and every record key with its CID, in key order. */
    public record VerifiedRepo(Cid commitCid, Commit commit, SortedMap<String, Cid> records) {
        public VerifiedRepo {
            records = Collections.unmodifiableSortedMap(records);
        }

        public int recordCount() {
            return records.size();
        }
    }

    private RepoVerifier() {}

    /** Verifies a repository CAR whose single root is the commit. */
    public static VerifiedRepo verifyCar(byte[] car, String did, PublicKey key) {
        var file = CarReader.readAll(car); // the reader checks every block against its CID
        return check(new BlockMap(file.blocks()), file.root(), did, key, true);
    }

    /** Streaming form of {@link #verifyCar(byte[], String, PublicKey)}; blocks are held in memory. */
    public static VerifiedRepo verifyCar(InputStream car, String did, PublicKey key) {
        try (var reader = CarReader.open(car)) {
            var roots = reader.roots();
            if (roots.size() != 1) throw new RepoException("repository CAR must have exactly one root, found " + roots.size());
            var blocks = new BlockMap();
            for (var b : reader) blocks.put(b.cid(), b.bytes());
            return check(blocks, roots.getFirst(), did, key, true);
        }
    }

    /**
     * Verifies the repository at {@code commitCid} in {@code blocks}. With {@code requireRecords} false,
     * record blocks are not looked up (MST-only exports, partial syncs).
     */
    public static VerifiedRepo verify(BlockSource blocks, Cid commitCid, String did, PublicKey key, boolean requireRecords) {
        return check(blocks, commitCid, did, key, requireRecords);
    }

    private static VerifiedRepo check(BlockSource source, Cid commitCid, String did, PublicKey key, boolean requireRecords) {
        var records = new TreeMap<String, Cid>();
        var commit = RepoWalk.walk(source, commitCid, did, key, requireRecords, new RepoWalk.Visitor() {
            @Override
            public void record(String recordKey, Cid cid, byte[] bytes) {
                records.put(recordKey, cid);
            }
        });
        return new VerifiedRepo(commitCid, commit, records);
    }
}
