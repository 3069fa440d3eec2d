package dev.alteran.pds.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SequenceLogTest {
    @TempDir
    Path dir;
    Database db;

    @BeforeEach
    void open() {
        db = Database.openSqlite(dir.resolve("seq.sqlite"));
    }

    @AfterEach
    void close() {
        db.close();
    }

    void append(SequenceLog log, int n) {
        for (int i = 0; i < n; i++) {
            db.write(c -> log.append(c, "did:web:example.com", "identity", Map.of("did", "did:web:example.com")));
        }
    }

    @Test
    void keepsTheNewestEventsAndPrunesEveryHundredAppends() {
        var log = new SequenceLog(db, 150);
        append(log, 199);
        assertThat(log.firstSeq()).isEqualTo(1); // pruned at 100: nothing older than 150 back yet
        append(log, 1);
        assertThat(log.firstSeq()).isEqualTo(51); // at 200: kept 51..200
        append(log, 151);
        assertThat(log.lastSeq()).isEqualTo(351);
        assertThat(log.firstSeq()).isEqualTo(151);
        // Seqs stay contiguous and are never reused after pruning.
        var seqs = new ArrayList<Long>();
        for (var e : log.after(0, 1000)) seqs.add(e.seq());
        assertThat(seqs).hasSize(201).startsWith(151L).endsWith(351L);
    }

    @Test
    void rangeIsBoundedOnBothSides() {
        var log = new SequenceLog(db, 1000);
        append(log, 20);
        assertThat(log.range(5, 9, 100)).extracting(SeqEvent::seq).containsExactly(6L, 7L, 8L, 9L);
        assertThat(log.range(5, 9, 2)).extracting(SeqEvent::seq).containsExactly(6L, 7L);
        assertThat(log.get(20).decodeBody()).containsEntry("seq", 20L).containsKey("time");
        assertThat(log.get(21)).isNull();
    }
}
