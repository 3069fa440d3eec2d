package dev.alteran.pds.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.alteran.pds.store.Database.SqlWork;
import java.sql.DriverManager;
import org.junit.jupiter.api.Test;

/** What is particular to PostgreSQL: the URL forms, the start-up message, the write lock across connections, streamed reads. */
class PostgresDatabaseTest {
    @Test
    void urlFormsGiveTheSameTarget() {
        var a = PostgresUrl.parse("postgres://alice:s3cr%40t@db.example.com:6543/pds?sslmode=require");
        assertThat(a.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example.com:6543/pds?sslmode=require");
        assertThat(a.user()).isEqualTo("alice");
        assertThat(a.password()).isEqualTo("s3cr@t");
        var b = PostgresUrl.parse("jdbc:postgresql://db.example.com:6543/pds?user=alice&password=s3cr%40t&sslmode=require");
        assertThat(b).isEqualTo(a);
        var c = PostgresUrl.parse("postgresql://alice@db.example.com/pds");
        assertThat(c.hosts()).isEqualTo("db.example.com:5432");
        assertThat(c.password()).isEmpty();
        assertThat(a.toString()).doesNotContain("s3cr");
        assertThat(a.describe()).isEqualTo("database 'pds' on db.example.com:6543 as user 'alice'").doesNotContain("s3cr");
    }

    @Test
    void badUrlsSayWhatIsMissingWithoutQuotingThePassword() {
        for (var url : new String[] {"mysql://alice:hunter2secret@h/db", "postgres://alice:hunter2secret@/db",
                "postgres://alice:hunter2secret@h", "postgres://:hunter2secret@h/db", "postgres://alice:hunter2/secret@h/db",
                "postgres://alice:hunter2secret@h:port/db", "jdbc:postgresql://alice:hunter2secret@h/db"}) {
            assertThatThrownBy(() -> PostgresUrl.parse(url)).as(url).isInstanceOf(IllegalArgumentException.class)
                    .message().doesNotContain("hunter2").doesNotContain("secret");
        }
    }

    @Test
    void anUnreachableServerIsOneMessageNamingItButNotThePassword() throws Exception {
        int closedPort;
        try (var s = new java.net.ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        var url = PostgresUrl.parse("postgres://alice:hunter2secret@127.0.0.1:" + closedPort + "/pds");
        assertThatThrownBy(() -> Database.openPostgres(url)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("127.0.0.1:" + closedPort).hasMessageContaining("'pds'").hasMessageContaining("'alice'")
                .message().doesNotContain("hunter2secret");
    }

    @Test
    void aMissingDatabaseIsNamed() {
        var real = TestPostgres.emptyDatabase();
        var missing = new PostgresUrl(real.jdbcUrl().replace(real.database(), "no_such_db"), real.hosts(), "no_such_db", real.user(), real.password());
        assertThatThrownBy(() -> Database.openPostgres(missing)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no_such_db").hasMessageContaining("does not exist");
    }

    /** Rate-limit counters commit without waiting for their WAL flush; the repository's writer still waits for its own. */
    @Test
    void onlyTheCountersCommitWithoutWaitingForTheFlush() {
        try (var db = Database.openPostgres(TestPostgres.freshDatabase())) {
            // The value, and whether this session set it (the writer keeps the server's setting, whatever that is).
            SqlWork<String> setting = c -> {
                try (var st = c.createStatement();
                     var rs = st.executeQuery("SELECT setting || ' ' || source FROM pg_settings WHERE name = 'synchronous_commit'")) {
                    rs.next();
                    return rs.getString(1);
                }
            };
            assertThat(db.writeOutsideWriter(setting)).isEqualTo("off session");
            assertThat(db.write(setting)).doesNotEndWith(" session");
            assertThat(db.read(setting)).doesNotEndWith(" session");
        }
    }

    /** The advisory write lock spans the transaction: another instance's writer (another connection) waits for it. */
    @Test
    void aWriteHoldsTheWriteLockAgainstOtherConnections() throws Exception {
        var url = TestPostgres.freshDatabase();
        try (var db = Database.openPostgres(url);
             var other = DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password())) {
            db.write(c -> {
                try (var st = other.createStatement(); var rs = st.executeQuery("SELECT pg_try_advisory_lock(" + 0x616c746572616eL + ")")) {
                    rs.next();
                    assertThat(rs.getBoolean(1)).as("lock free during a write").isFalse();
                }
                return null;
            });
            try (var st = other.createStatement(); var rs = st.executeQuery("SELECT pg_try_advisory_lock(" + 0x616c746572616eL + ")")) {
                rs.next();
                assertThat(rs.getBoolean(1)).as("lock free after the write").isTrue();
            }
        }
    }

    @Test
    void aFailedWriteLeavesNothingAndTheNextOneWorks() {
        try (var db = Database.openPostgres(TestPostgres.freshDatabase())) {
            assertThatThrownBy(() -> db.write(c -> {
                try (var st = c.createStatement()) {
                    st.executeUpdate("INSERT INTO preference (name, value_json) VALUES ('a', '{}')");
                    st.executeUpdate("INSERT INTO no_such_table VALUES (1)");
                }
                return null;
            })).isInstanceOf(StoreException.class);
            db.write(c -> {
                try (var st = c.createStatement()) {
                    return st.executeUpdate("INSERT INTO preference (name, value_json) VALUES ('b', '{}')");
                }
            });
            var names = db.read(c -> {
                try (var st = c.createStatement(); var rs = st.executeQuery("SELECT name FROM preference")) {
                    var out = new java.util.ArrayList<String>();
                    while (rs.next()) out.add(rs.getString(1));
                    return out;
                }
            });
            assertThat(names).containsExactly("b");
        }
    }

    @Test
    void snapshotReadsFetchInPages() {
        try (var db = Database.openPostgres(TestPostgres.freshDatabase())) {
            int fetchSize = db.readSnapshot(c -> {
                try (var st = c.prepareStatement("SELECT cid FROM repo_block")) {
                    return st.getFetchSize();
                }
            });
            assertThat(fetchSize).isPositive();
            assertThat(db.dialect()).isEqualTo(Dialect.POSTGRES);
            assertThat(db.isHealthy()).isTrue();
        }
    }

    /** An append notifies at commit: what wakes the other instances' tailers (without waiting for their poll). */
    @Test
    void anAppendNotifiesListenersWhenItCommits() throws Exception {
        var url = TestPostgres.freshDatabase();
        try (var db = Database.openPostgres(url);
             var listener = DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password())) {
            try (var st = listener.createStatement()) {
                st.execute("LISTEN " + SeqTailer.CHANNEL);
            }
            var pg = listener.unwrap(org.postgresql.PGConnection.class);
            assertThat(pg.getNotifications(1)).isNullOrEmpty();
            new SequenceLog(db).sequence("did:web:example.com", "identity", java.util.Map.of("did", "did:web:example.com"));
            assertThat(pg.getNotifications(10_000)).isNotEmpty()
                    .allSatisfy(n -> {
                        assertThat(n.getName()).isEqualTo(SeqTailer.CHANNEL);
                        assertThat(n.getParameter()).isEqualTo(db.instanceId()); // how a tailer knows its own instance's commits
                    });
        }
    }

    /** Another instance's commit reaches this one's sequencer listeners (the firehose), in seq order. */
    @Test
    void eventsAnotherInstanceCommitsArePublishedHere() throws Exception {
        var url = TestPostgres.freshDatabase();
        try (var here = Database.openPostgres(url); var there = Database.openPostgres(url)) {
            var log = new SequenceLog(here, SequenceLog.DEFAULT_RETENTION, () -> 1);
            var heard = new java.util.concurrent.LinkedBlockingQueue<Long>();
            log.addListener(heard::add);
            try (var tailer = SeqTailer.start(here, log, () -> { })) {
                var theirs = new SequenceLog(there, SequenceLog.DEFAULT_RETENTION, () -> 1);
                for (int i = 1; i <= 3; i++) {
                    var event = theirs.sequence("did:web:example.com", "identity", java.util.Map.of("did", "did:web:example.com"));
                    long seq = event.seq();
                    Long got;
                    do {
                        got = heard.poll(10, java.util.concurrent.TimeUnit.SECONDS);
                        assertThat(got).as("seq " + seq + " heard").isNotNull();
                    } while (got < seq);
                    assertThat(got).isEqualTo(seq);
                    assertThat(log.after(seq - 1, 10)).extracting(SeqEvent::seq).containsExactly(seq);
                }
            }
        }
    }
}
