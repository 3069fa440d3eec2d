package dev.alteran.pds.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.alteran.pds.store.Database;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The handle store on its own: a real SQLite file, no HTTP. */
class IdentityPersistenceTest {
    static final String DID = "did:web:alice.example.com";
    @TempDir
    Path dir;

    Database open() {
        return Database.openSqlite(dir.resolve("alteran.sqlite"));
    }

    static List<String> invalidHandles() {
        try (var in = IdentityPersistenceTest.class.getResourceAsStream("/interop/syntax/handle_syntax_invalid.txt")) {
            var text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return text.lines().filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void configuredHandleIsTheInitialValueNormalized() {
        try (var db = open()) {
            var identity = Identity.open(db, DID, "Alice.Example.COM", Clock.systemUTC());
            assertThat(identity.did()).isEqualTo(DID);
            assertThat(identity.handle()).isEqualTo("alice.example.com");
            assertThat(identity.isOurHandle("ALICE.example.com")).isTrue();
            assertThat(identity.isOurHandle("bob.example.com")).isFalse();
            assertThat(identity.isOurHandle(null)).isFalse();
        }
    }

    @Test
    void updatedHandleIsNormalizedAndSurvivesARestart() {
        try (var db = open()) {
            var identity = Identity.open(db, DID, "alice.example.com", Clock.systemUTC());
            var event = identity.updateHandle("Alice.Example.ORG");
            assertThat(event.did()).isEqualTo(DID);
            assertThat(event.handle()).isEqualTo("alice.example.org");
            assertThat(identity.handle()).isEqualTo("alice.example.org");
        }
        try (var db = open()) {
            // same PDS_HANDLE as before: the handle set through the API stays
            assertThat(Identity.open(db, DID, "alice.example.com", Clock.systemUTC()).handle()).isEqualTo("alice.example.org");
        }
    }

    @Test
    void anOperatorWhoChangesPdsHandleWins() {
        try (var db = open()) {
            Identity.open(db, DID, "alice.example.com", Clock.systemUTC()).updateHandle("alice.example.org");
        }
        try (var db = open()) {
            assertThat(Identity.open(db, DID, "alice.example.net", Clock.systemUTC()).handle()).isEqualTo("alice.example.net");
        }
        try (var db = open()) {
            assertThat(Identity.open(db, DID, "alice.example.net", Clock.systemUTC()).handle()).isEqualTo("alice.example.net");
        }
    }

    @Test
    void everyInvalidHandleIsRefusedAndNothingChanges() {
        var invalid = invalidHandles();
        assertThat(invalid).hasSizeGreaterThan(40);
        try (var db = open()) {
            var identity = Identity.open(db, DID, "alice.example.com", Clock.systemUTC());
            var heard = new ArrayList<IdentityEvent>();
            identity.addListener(new IdentityListener() {
                @Override
                public void afterCommit(IdentityEvent event) {
                    heard.add(event);
                }
            });
            for (var handle : invalid) {
                assertThatThrownBy(() -> identity.updateHandle(handle)).as(handle).isInstanceOf(IllegalArgumentException.class);
            }
            assertThat(identity.handle()).isEqualTo("alice.example.com");
            assertThat(heard).isEmpty();
        }
        try (var db = open()) {
            assertThat(Identity.open(db, DID, "alice.example.com", Clock.systemUTC()).handle()).isEqualTo("alice.example.com");
        }
    }

    @Test
    void listenersHearEachChangeInItsTransactionAndAfterItsCommit() {
        try (var db = open()) {
            var identity = Identity.open(db, DID, "alice.example.com", Clock.systemUTC());
            var log = new ArrayList<String>();
            identity.addListener(new IdentityListener() {
                @Override
                public void inTransaction(Connection tx, IdentityEvent event) throws SQLException {
                    // the new handle is visible inside the transaction, not yet in memory
                    try (var st = tx.prepareStatement("SELECT handle FROM account_identity WHERE did = ?")) {
                        st.setString(1, event.did());
                        try (var rs = st.executeQuery()) {
                            rs.next();
                            log.add("tx " + rs.getString(1) + " (was " + identity.handle() + ")");
                        }
                    }
                }

                @Override
                public void afterCommit(IdentityEvent event) {
                    log.add("after " + event.handle() + " (now " + identity.handle() + ")");
                }
            });
            identity.updateHandle("alice.example.org");
            identity.updateHandle("alice.example.org"); // the same handle again re-announces it
            assertThat(log).containsExactly(
                    "tx alice.example.org (was alice.example.com)", "after alice.example.org (now alice.example.org)",
                    "tx alice.example.org (was alice.example.org)", "after alice.example.org (now alice.example.org)");
        }
    }

    @Test
    void aFailingTransactionalListenerRollsTheChangeBack() {
        try (var db = open()) {
            var identity = Identity.open(db, DID, "alice.example.com", Clock.systemUTC());
            IdentityListener failing = new IdentityListener() {
                @Override
                public void inTransaction(Connection tx, IdentityEvent event) throws SQLException {
                    throw new SQLException("sequencer is full");
                }
            };
            identity.addListener(failing);
            assertThatThrownBy(() -> identity.updateHandle("alice.example.org")).hasMessageContaining("sequencer is full");
            assertThat(identity.handle()).isEqualTo("alice.example.com");
            identity.removeListener(failing);
        }
        try (var db = open()) {
            assertThat(Identity.open(db, DID, "alice.example.com", Clock.systemUTC()).handle()).isEqualTo("alice.example.com");
        }
    }

    @Test
    void aFailingAfterCommitListenerDoesNotUndoTheChange() {
        try (var db = open()) {
            var identity = Identity.open(db, DID, "alice.example.com", Clock.systemUTC());
            identity.addListener(new IdentityListener() {
                @Override
                public void afterCommit(IdentityEvent event) {
                    throw new IllegalStateException("no subscribers today");
                }
            });
            identity.updateHandle("alice.example.org");
            assertThat(identity.handle()).isEqualTo("alice.example.org");
        }
    }
}
