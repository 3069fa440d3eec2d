package dev.alteran.pds.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.atproto.data.DagCbor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

@ParameterizedClass(name = "{0}")
@EnumSource(Dialect.class)
class SequenceLogTest {
    @Parameter
    Dialect dialect;
    TestDatabase testDb;

    @TempDir
    Path dir;
    Database db;
    SequenceLog log;

    @BeforeEach
    void open() {
        testDb = TestDatabase.create(dialect, dir);
        db = testDb.open();
        log = new SequenceLog(db);
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void emptyLog() {
        assertThat(log.lastSeq()).isZero();
        assertThat(log.firstSeq()).isZero();
        assertThat(log.after(0, 10)).isEmpty();
        assertThat(log.get(1)).isNull();
    }

    @Test
    void eventsGetConsecutiveSeqsAndReplayByteForByte() {
        var heard = new ArrayList<Long>();
        log.addListener(heard::add);
        long before = System.currentTimeMillis();
        var a = log.sequence("did:web:a.example", "identity", Map.of("did", "did:web:a.example", "handle", "a.example"));
        var b = log.sequence("did:web:a.example", "account", Map.of("did", "did:web:a.example", "active", true));
        // an empty log starts from the clock (above any cursor a relay holds for an earlier log at this host)
        long first = a.seq();
        assertThat(first).isBetween(before, System.currentTimeMillis());
        assertThat(b.seq()).isEqualTo(first + 1);
        assertThat(heard).containsExactly(first, first + 1);
        assertThat(log.lastSeq()).isEqualTo(first + 1);
        assertThat(log.firstSeq()).isEqualTo(first);

        var stored = log.get(first);
        assertThat(stored.body()).isEqualTo(a.body());
        assertThat(stored.time()).isEqualTo(a.time());
        assertThat(stored.decodeBody()).containsEntry("seq", first).containsEntry("handle", "a.example")
                .containsEntry("time", a.time());
        assertThat(log.after(first, 10)).extracting(SeqEvent::seq).containsExactly(first + 1);

        // frame = DAG-CBOR header {op: 1, t: "#identity"} then the body
        var frame = stored.frame();
        var header = DagCbor.encode(Map.of("op", 1L, "t", "#identity"));
        assertThat(java.util.Arrays.copyOf(frame, header.length)).isEqualTo(header);
        assertThat(frame.length).isEqualTo(header.length + stored.body().length);
    }

    @Test
    void publishOnlyMovesForward() {
        var heard = new ArrayList<Long>();
        log.addListener(heard::add);
        log.addListener(seq -> {
            throw new IllegalStateException("a broken listener does not stop the others");
        });
        log.publish(5);
        log.publish(3);
        log.publish(6);
        assertThat(heard).containsExactly(5L, 6L);
    }

    void appendMany(SequenceLog log, int n) {
        for (int i = 0; i < n; i++) {
            db.write(c -> log.append(c, "did:web:example.com", "identity", Map.of("did", "did:web:example.com")));
        }
    }

    @Test
    void keepsTheNewestEventsAndPrunesEveryHundredAppends() {
        var log = new SequenceLog(db, 150, () -> 1);
        appendMany(log, 199);
        assertThat(log.firstSeq()).isEqualTo(1); // pruned at 100: nothing older than 150 back yet
        appendMany(log, 1);
        assertThat(log.firstSeq()).isEqualTo(51); // at 200: kept 51..200
        appendMany(log, 151);
        assertThat(log.lastSeq()).isEqualTo(351);
        assertThat(log.firstSeq()).isEqualTo(151);
        // Seqs stay contiguous and are never reused after pruning.
        var seqs = new ArrayList<Long>();
        for (var e : log.after(0, 1000)) seqs.add(e.seq());
        assertThat(seqs).hasSize(201).startsWith(151L).endsWith(351L);
    }

    @Test
    void rangeIsBoundedOnBothSides() {
        var log = new SequenceLog(db, 1000, () -> 1);
        appendMany(log, 20);
        assertThat(log.range(5, 9, 100)).extracting(SeqEvent::seq).containsExactly(6L, 7L, 8L, 9L);
        assertThat(log.range(5, 9, 2)).extracting(SeqEvent::seq).containsExactly(6L, 7L);
        assertThat(log.get(20).decodeBody()).containsEntry("seq", 20L).containsKey("time");
        assertThat(log.get(21)).isNull();
    }
}
