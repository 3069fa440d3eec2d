package dev.alteran.atproto.plc;

import dev.alteran.atproto.data.Cid;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A verified operation log ({@link Plc#verifyLog}): the operations in order and the state after the last one, empty
 * when the log ends with a tombstone.
 */
public record PlcHistory(String did, List<PlcOp> ops, Optional<PlcData> data) {
    public PlcHistory {
        Objects.requireNonNull(did, "did");
        ops = List.copyOf(ops);
        if (ops.isEmpty()) throw new IllegalArgumentException("a history has at least the genesis operation");
        Objects.requireNonNull(data, "data");
    }

    public PlcOp last() {
        return ops.getLast();
    }

    /** The CID of the last operation: the {@code prev} of the next. */
    public Cid head() {
        return last().cid();
    }

    public boolean tombstoned() {
        return data.isEmpty();
    }
}
