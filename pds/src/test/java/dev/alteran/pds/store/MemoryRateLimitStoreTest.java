package dev.alteran.pds.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MemoryRateLimitStoreTest extends RateLimitStoreContract {
    @Override
    RateLimitStore store() {
        return new MemoryRateLimitStore(1000, MINUTE);
    }

    @Override
    long size(RateLimitStore store) {
        return ((MemoryRateLimitStore) store).size();
    }

    @Test
    void aFullMapSendsNewClientsToOneSharedCounter() {
        var s = new MemoryRateLimitStore(10, MINUTE);
        for (int i = 0; i < 10; i++) s.hit("write", "known-" + i, 0, MINUTE, LIMIT);
        // Known clients keep their own counters; newcomers share one, so a flood of addresses stays limited.
        assertThat(s.hit("write", "known-3", 1, MINUTE, LIMIT).count()).isEqualTo(2);
        for (int i = 0; i < 100; i++) s.hit("write", "new-" + i, 2, MINUTE, LIMIT);
        assertThat(s.size()).isEqualTo(11);
        assertThat(s.hit("write", "another", 3, MINUTE, LIMIT).count()).isEqualTo(101);
        // Once the windows end, the sweep frees the space and newcomers get their own counters again.
        assertThat(s.hit("write", "fresh", 2 * MINUTE, MINUTE, LIMIT).count()).isEqualTo(1);
        assertThat(s.size()).isEqualTo(1);
    }
}
