package dev.alteran.server;

import static dev.alteran.server.Ops.cli;
import static org.assertj.core.api.Assertions.assertThat;

import dev.alteran.atproto.data.Cid;
import dev.alteran.pds.store.PreparedWrite;
import dev.alteran.pds.store.RepoStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** gc, verify, prune, migrate and the progress display, run as the operator runs them. */
class OpsMaintenanceTest {
    @TempDir
    Path tmp;

    static Path env(Path tmp, TestServer s) throws Exception {
        return Ops.envFile(tmp, s.config.did(), s.config.repoSigningKey(), s.config.dataDir());
    }

    static Map<Cid, byte[]> blocks(TestServer s) {
        return s.alteran.database().read(c -> {
            var out = new HashMap<Cid, byte[]>();
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT cid, content FROM repo_block")) {
                while (rs.next()) out.put(Cid.fromBytes(rs.getBytes(1)), rs.getBytes(2));
            }
            return out;
        });
    }

    static int insertBlocks(TestServer s, Map<Cid, byte[]> blocks) {
        return s.alteran.database().write(c -> {
            int n = 0;
            try (var st = c.prepareStatement("INSERT INTO repo_block (cid, rev, size, content) VALUES (?, 'leftover', ?, ?) ON CONFLICT DO NOTHING")) {
                for (var e : blocks.entrySet()) {
                    st.setBytes(1, e.getKey().bytes());
                    st.setInt(2, e.getValue().length);
                    st.setBytes(3, e.getValue());
                    n += st.executeUpdate();
                }
            }
            return n;
        });
    }

    static void sql(TestServer s, String sql, Object... params) {
        s.alteran.database().write(c -> {
            try (var st = c.prepareStatement(sql)) {
                for (int i = 0; i < params.length; i++) st.setObject(i + 1, params[i]);
                return st.executeUpdate();
            }
        });
    }

    @Test
    void gcAfterDeletingHalfTheRecordsRemovesTheUnreachableBlocksAndNothingReachable() throws Exception {
        try (var s = TestServer.start()) {
            var env = env(tmp, s).toString();
            var keys = Ops.writePosts(s, 2000, List.of());
            var before = blocks(s);
            var deletes = new ArrayList<PreparedWrite>();
            for (int i = 0; i < keys.size(); i += 2) deletes.add(new PreparedWrite.Delete("app.bsky.feed.post", keys.get(i).substring(19)));
            for (int i = 0; i < deletes.size(); i += RepoStore.MAX_WRITES) {
                s.alteran.repo().applyWrites(deletes.subList(i, Math.min(deletes.size(), i + RepoStore.MAX_WRITES)), null);
            }
            assertThat(Ops.count(s.alteran.database(), "record")).isEqualTo(1000);
            // The write path dropped what the deletions replaced; put it back as leftovers (as a crash or an
            // older release would leave them), plus blocks that were never part of the repository.
            var gone = new HashMap<>(before);
            gone.keySet().removeAll(blocks(s).keySet());
            var random = new Random(1);
            for (int i = 0; i < 3; i++) {
                var junk = new byte[100];
                random.nextBytes(junk);
                gone.put(Cid.ofRaw(junk), junk);
            }
            int leftovers = insertBlocks(s, gone);
            assertThat(leftovers).isGreaterThan(1000);
            long stored = Ops.count(s.alteran.database(), "repo_block");

            var verify = cli("verify", "--env-file", env);
            assertThat(verify.status()).as(verify.toString()).isZero();
            assertThat(verify.out()).contains("1,000 records").contains(String.format("%,d unreachable blocks", leftovers));

            var dry = cli("gc", "--env-file", env, "--dry-run");
            assertThat(dry.status()).as(dry.toString()).isZero();
            assertThat(dry.out()).contains(String.format("would remove %,d unreachable", leftovers)).doesNotContain("blobs:");
            assertThat(Ops.count(s.alteran.database(), "repo_block")).isEqualTo(stored);

            var gc = cli("gc", "--env-file", env);
            assertThat(gc.status()).as(gc.toString()).isZero();
            assertThat(gc.out()).contains(String.format("removed %,d unreachable", leftovers))
                    .contains(String.format("%,d reachable kept", stored - leftovers)).contains("blobs: removed 0");
            assertThat(Ops.count(s.alteran.database(), "repo_block")).isEqualTo(stored - leftovers);

            var again = cli("verify", "--env-file", env);
            assertThat(again.status()).as(again.toString()).isZero();
            assertThat(again.out()).contains("verified").contains("1,000 records").contains(" 0 unreachable blocks");
            // The running server goes on writing on top of the collected repository.
            Ops.writePosts(s, 10, List.of());
            assertThat(cli("verify", "--env-file", env).status()).isZero();
            assertThat(cli("gc", "--env-file", env).out()).contains("removed 0 unreachable");
        }
    }

    @Test
    void aDamagedRepositoryStopsGcAndVerifyPrintsEveryProblem() throws Exception {
        try (var s = TestServer.start()) {
            var env = env(tmp, s).toString();
            var blobs = Ops.uploadBlobs(s, 2, 3);
            var keys = Ops.writePosts(s, 300, blobs);
            var did = s.config.did();
            var repo = s.alteran.repo();
            var head = repo.head();
            var uri = (java.util.function.IntFunction<String>) i -> "at://" + did + "/" + keys.get(i);

            // One orphan so that gc would have something to do.
            insertBlocks(s, Map.of(Cid.ofRaw(new byte[] {1, 2, 3}), new byte[] {1, 2, 3}));
            // A record block whose bytes no longer match its CID.
            var corrupted = head.get(keys.get(10));
            sql(s, "UPDATE repo_block SET content = ? WHERE cid = ?", new byte[] {(byte) 0xa0}, corrupted.bytes());
            // The index: a record missing, one extra, one at the wrong CID.
            sql(s, "DELETE FROM record WHERE uri = ?", uri.apply(20));
            sql(s, "INSERT INTO record (uri, cid, collection, rkey, rev, indexed_at) VALUES (?, ?, 'app.bsky.feed.post', 'zzzzzzzzzzzzz', 'x', 'x')",
                    "at://" + did + "/app.bsky.feed.post/zzzzzzzzzzzzz", corrupted.bytes());
            sql(s, "UPDATE record SET cid = ? WHERE uri = ?", head.get(keys.get(31)).bytes(), uri.apply(30));
            // Blob references: one row lost (record 0 uses blob 0), one invented.
            sql(s, "DELETE FROM record_blob WHERE record_uri = ?", uri.apply(0));
            sql(s, "INSERT INTO record_blob (record_uri, blob_cid) VALUES (?, ?)", uri.apply(40), blobs.get(1).ref().toString());

            var verify = cli("verify", "--env-file", env);
            assertThat(verify.status()).as(verify.toString()).isEqualTo(1);
            assertThat(verify.out())
                    .contains("problem: block " + corrupted + " does not hash to its CID")
                    .contains("problem: block " + corrupted + " is recorded as")
                    .contains("problem: block does not match its CID " + corrupted)
                    .contains("problem: the record index lacks " + uri.apply(20))
                    .contains("problem: the record index has at://" + did + "/app.bsky.feed.post/zzzzzzzzzzzzz, which is not in the repository")
                    .contains("problem: the record index has " + uri.apply(30) + " at " + head.get(keys.get(31)) + ", the repository at " + head.get(keys.get(30)))
                    .contains("problem: record_blob lacks " + blobs.get(0).ref() + " for " + uri.apply(0))
                    .contains("problem: record_blob has " + blobs.get(1).ref() + " for " + uri.apply(40) + ", which does not reference it")
                    .contains("FAILED")
                    .contains("8 problems found");

            // A missing MST node: gc refuses to guess what is reachable, and deletes nothing.
            var nodes = new ArrayList<Cid>();
            head.data().walkNodes((cid, bytes) -> nodes.add(cid));
            sql(s, "DELETE FROM repo_block WHERE cid = ?", nodes.get(nodes.size() / 2).bytes());
            long stored = Ops.count(s.alteran.database(), "repo_block");
            var gc = cli("gc", "--env-file", env);
            assertThat(gc.status()).isEqualTo(1);
            assertThat(gc.err()).contains("the repository is damaged").contains("missing MST node block " + nodes.get(nodes.size() / 2))
                    .contains("nothing was deleted");
            assertThat(Ops.count(s.alteran.database(), "repo_block")).isEqualTo(stored);
            assertThat(cli("verify", "--env-file", env).out()).contains("problem: missing MST node block " + nodes.get(nodes.size() / 2));
        }
    }

    @Test
    void pruneKeepsTheNewestEvents() throws Exception {
        try (var s = TestServer.start()) {
            for (int i = 0; i < 30; i++) Ops.writePosts(s, 1, List.of());
            var log = s.alteran.sequence();
            long first = log.firstSeq(), last = log.lastSeq();
            assertThat(last - first + 1).isGreaterThanOrEqualTo(31);
            var run = cli("prune", "--env-file", env(tmp, s).toString(), "--keep", "10");
            assertThat(run.status()).as(run.toString()).isZero();
            assertThat(run.out()).contains("deleted " + (last - first + 1 - 10) + " events; kept 10 (seq " + (last - 9) + " to " + last + ")");
            assertThat(log.firstSeq()).isEqualTo(last - 9);
            assertThat(log.lastSeq()).isEqualTo(last);
            // New events continue the sequence.
            Ops.writePosts(s, 1, List.of());
            assertThat(log.lastSeq()).isEqualTo(last + 1);
            assertThat(cli("prune", "--env-file", env(tmp, s).toString()).out()).contains("deleted 0 events");
        }
    }

    @Test
    void migrateListsWithoutApplyingThenApplies() throws Exception {
        var data = tmp.resolve("data");
        var dry = cli("migrate", "--data", data.toString(), "--dry-run");
        assertThat(dry.status()).as(dry.toString()).isZero();
        assertThat(dry.out()).contains("pending V1 repo (V1__repo.sql)").contains("pending V7 account status (V7__account_status.sql)")
                .contains("pending (dry run: nothing applied)");
        assertThat(Files.exists(data.resolve("alteran.sqlite"))).isFalse();

        var run = cli("migrate", "--data", data.toString());
        assertThat(run.status()).as(run.toString()).isZero();
        assertThat(run.out()).contains("applied V1 repo (V1__repo.sql)").contains("applied V7 account status (V7__account_status.sql)");
        assertThat(Files.exists(data.resolve("alteran.sqlite"))).isTrue();

        var current = cli("migrate", "--data", data.toString(), "--dry-run");
        assertThat(current.out()).contains("the schema is current");
        assertThat(cli("migrate", "--data", data.toString()).out()).contains("the schema is current");
    }

    @Test
    void everySubcommandHasHelpAndReadOnlyCommandsCreateNothing() {
        for (var name : List.of("serve", "dev", "secrets", "hash-password", "blobs", "migrate", "export", "import", "gc", "prune", "verify", "backup", "restore", "plc", "oauth", "migrate-in", "migrate-out")) {
            var run = cli(name, "--help");
            assertThat(run.status()).as(name).isZero();
            assertThat(run.out()).as(name).contains("Usage: alteran " + name);
        }
        assertThat(cli("blobs", "gc", "--help").out()).contains("Usage: alteran blobs gc");
        assertThat(cli("plc", "token", "--help").out()).contains("Usage: alteran plc token");
        var data = tmp.resolve("none");
        for (var args : List.of(List.of("verify"), List.of("export", "--out", "x.car"), List.of("gc"), List.of("prune"), List.of("plc", "token"),
                List.of("backup", "--out", tmp.resolve("backup").toString()))) {
            var all = new ArrayList<>(args);
            all.addAll(List.of("--data", data.toString()));
            if (args.getFirst().equals("verify")) {
                all.addAll(List.of("--env-file", writeEnv("PDS_DID=did:web:x.example\nREPO_SIGNING_KEY=" + "11".repeat(32) + "\n").toString()));
            }
            var run = cli(all.toArray(String[]::new));
            assertThat(run.status()).as(all.toString()).isEqualTo(1);
            assertThat(run.err()).as(all.toString()).contains("no Alteran database at");
        }
        assertThat(Files.exists(data)).isFalse();
        assertThat(Files.exists(tmp.resolve("backup"))).isFalse();
        var noArgs = cli("export", "--data", data.toString());
        assertThat(noArgs.status()).isEqualTo(2);
        assertThat(noArgs.err()).contains("give --out FILE, --blobs DIR, or both");
        var badConfig = cli("verify", "--data", data.toString(), "--env-file", writeEnv("PDS_DID=nope\n").toString());
        assertThat(badConfig.status()).isEqualTo(1);
        assertThat(badConfig.err()).contains("PDS_DID").contains("REPO_SIGNING_KEY");
    }

    private Path writeEnv(String content) {
        try {
            var f = Files.createTempFile(tmp, "x", ".env");
            Files.writeString(f, content);
            return f;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void progressIsALineRedrawnOnATerminalAndPeriodicLinesElsewhere() {
        long[] now = {0};
        var plainOut = new StringWriter();
        try (var plain = new ConsoleProgress(new PrintWriter(plainOut), false, Duration.ofSeconds(5), () -> now[0])) {
            plain.update("export", 1000, 20_000);
            now[0] = Duration.ofSeconds(6).toNanos();
            plain.update("export", 5000, 20_000);
            now[0] += Duration.ofSeconds(1).toNanos();
            plain.update("export", 20_000, 20_000);
            plain.update("blobs", 3, 0);
        }
        assertThat(plainOut.toString().lines().toList()).containsExactly(
                "export  5,000/20,000 (25%)", "export  20,000/20,000 (100%)", "blobs   3");

        now[0] = 0;
        var termOut = new StringWriter();
        try (var term = new ConsoleProgress(new PrintWriter(termOut), true, Duration.ofMillis(100), () -> now[0])) {
            now[0] = Duration.ofMillis(150).toNanos();
            term.update("verify", 10_000, 20_000);
        }
        assertThat(termOut.toString()).startsWith("\rverify  [###############               ]  50% 10,000/20,000")
                .endsWith("\n").doesNotContain("\n\r");
    }
}
