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

class SequenceLogTest {
    @TempDir
    Path dir;
    Database db;
    SequenceLog log;

    @BeforeEach
    void open() {
        db = Database.openSqlite(dir.resolve("seq.sqlite"));
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
        var a = log.sequence("did:web:a.example", "identity", Map.of("did", "did:web:a.example", "handle", "a.example"));
        var b = log.sequence("did:web:a.example", "account", Map.of("did", "did:web:a.example", "active", true));
        assertThat(a.seq()).isEqualTo(1);
        assertThat(b.seq()).isEqualTo(2);
        assertThat(heard).containsExactly(1L, 2L);
        assertThat(log.lastSeq()).isEqualTo(2);
        assertThat(log.firstSeq()).isEqualTo(1);

        var stored = log.get(1);
        assertThat(stored.body()).isEqualTo(a.body());
        assertThat(stored.time()).isEqualTo(a.time());
        assertThat(stored.decodeBody()).containsEntry("seq", 1L).containsEntry("handle", "a.example")
                .containsEntry("time", a.time());
        assertThat(log.after(1, 10)).extracting(SeqEvent::seq).containsExactly(2L);

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
}
