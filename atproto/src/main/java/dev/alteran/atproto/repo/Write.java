package dev.alteran.atproto.repo;

import dev.alteran.atproto.data.Cid;
import java.util.Objects;

/** One record write applied to a repository's MST, by key ({@code collection/rkey}). */
public sealed interface Write {
    String key();

    record Create(String key, Cid cid) implements Write {
        public Create {
            MstKeys.validate(key);
            Objects.requireNonNull(cid, "cid");
        }
    }

    record Update(String key, Cid cid) implements Write {
        public Update {
            MstKeys.validate(key);
            Objects.requireNonNull(cid, "cid");
        }
    }

    record Delete(String key) implements Write {
        public Delete {
            MstKeys.validate(key);
        }
    }
}
