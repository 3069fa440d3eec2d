package dev.alteran.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.atproto.data.Cid;
import dev.alteran.pds.blob.BlobRef;
import dev.alteran.pds.store.Database;
import dev.alteran.pds.store.PreparedWrite;
import dev.alteran.pds.store.RecordPreparer;
import dev.alteran.pds.store.RepoStore;
import dev.alteran.pds.wire.Json;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Helpers of the operations tests: repositories written fast, env files, the CLI run in-process. */
final class Ops {
    private Ops() {}

    record Run(int status, String out, String err) {
        @Override
        public String toString() {
            return "exit " + status + "\n--- out\n" + out + "--- err\n" + err;
        }
    }

    /** Runs {@code alteran <args>} in this JVM, capturing what it prints. */
    static Run cli(String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        var cli = AlteranServer.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int status = cli.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    /** An env file naming the account (DID, signing key) and the data directory (and the database of a server on PostgreSQL). */
    static Path envFile(Path dir, String did, String signingKey, Path data) throws IOException {
        var file = Files.createTempFile(dir, "ops-", ".env");
        var database = TestServer.DATABASES.get(data); // a server's PostgreSQL database, when it runs on one
        Files.writeString(file, "PDS_DID=" + did + "\nREPO_SIGNING_KEY=" + signingKey + "\nPDS_DATA_DIR=" + data + "\n"
                + (database == null ? "" : "PDS_DATABASE_URL=" + database + "\n"));
        return file;
    }

    static byte[] png(Random random, int size) {
        var data = new byte[size];
        random.nextBytes(data);
        System.arraycopy(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}, 0, data, 0, 8);
        return data;
    }

    /** Uploads {@code n} distinct PNG blobs through the PDS's blob service. */
    static List<BlobRef> uploadBlobs(TestServer server, int n, long seed) throws IOException {
        var random = new Random(seed);
        var out = new ArrayList<BlobRef>();
        for (int i = 0; i < n; i++) {
            var data = png(random, 200 + random.nextInt(2000));
            out.add(server.alteran.blobs().upload(new ByteArrayInputStream(data), "image/png", data.length));
        }
        return out;
    }

    /**
     * Writes {@code n} posts straight through the repository (200 per commit), the first of them each
     * embedding one of {@code blobs}. Returns the record keys in write order.
     */
    static List<String> writePosts(TestServer server, int n, List<BlobRef> blobs) {
        var store = server.alteran.repo();
        var preparer = new RecordPreparer(server.alteran.lexicons());
        var keys = new ArrayList<String>(n);
        var batch = new ArrayList<PreparedWrite>(RepoStore.MAX_WRITES);
        for (int i = 0; i < n; i++) {
            var rkey = store.nextTid();
            var post = Json.object()
                    .put("$type", "app.bsky.feed.post")
                    .put("text", "post number " + i)
                    .put("createdAt", "2024-01-01T00:00:00.000Z");
            if (i < blobs.size()) {
                var ref = blobs.get(i);
                var image = Json.toTree(ref.toJson());
                var embed = post.putObject("embed").put("$type", "app.bsky.embed.images");
                embed.putArray("images").addObject().put("alt", "image " + i).set("image", (JsonNode) image);
            }
            batch.add(new PreparedWrite.Create("app.bsky.feed.post", rkey, preparer.prepare("app.bsky.feed.post", rkey, post, null)));
            keys.add("app.bsky.feed.post/" + rkey);
            if (batch.size() == RepoStore.MAX_WRITES || i == n - 1) {
                store.applyWrites(List.copyOf(batch), null);
                batch.clear();
            }
        }
        return keys;
    }

    static long count(Database db, String table) {
        return db.read(c -> {
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT COUNT(*) FROM " + table)) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    /** The head commit CID of the database file at {@code data}, or null when it has no repository. */
    static Cid head(Path data) {
        try (var db = Database.openSqlite(data.resolve("alteran.sqlite"))) {
            return db.read(c -> {
                try (var st = c.createStatement(); var rs = st.executeQuery("SELECT cid FROM repo_root")) {
                    return rs.next() ? Cid.fromBytes(rs.getBytes(1)) : null;
                }
            });
        }
    }

    static Map<String, String> sameAccount(TestServer source) {
        return Map.of("PDS_DID", source.config.did(), "REPO_SIGNING_KEY", source.config.repoSigningKey());
    }
}
