package dev.alteran.pds.store;

import java.util.Objects;

/** One record write for {@link RepoStore}: what to change and under which swap condition (null: none). */
public sealed interface PreparedWrite {
    String collection();

    String rkey();

    RecordSwap swap();

    /** The MST key, {@code collection/rkey}. */
    default String key() {
        return collection() + "/" + rkey();
    }

    record Create(String collection, String rkey, PreparedRecord record, RecordSwap swap) implements PreparedWrite {
        public Create {
            Objects.requireNonNull(record, "record");
        }

        public Create(String collection, String rkey, PreparedRecord record) {
            this(collection, rkey, record, null);
        }
    }

    record Update(String collection, String rkey, PreparedRecord record, RecordSwap swap) implements PreparedWrite {
        public Update {
            Objects.requireNonNull(record, "record");
        }

        public Update(String collection, String rkey, PreparedRecord record) {
            this(collection, rkey, record, null);
        }
    }

    record Delete(String collection, String rkey, RecordSwap swap) implements PreparedWrite {
        public Delete(String collection, String rkey) {
            this(collection, rkey, null);
        }
    }
}
