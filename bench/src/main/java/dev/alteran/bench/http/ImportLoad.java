package dev.alteran.bench.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.atproto.car.CarWriter;
import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.repo.BlockMap;
import dev.alteran.atproto.repo.Mst;
import dev.alteran.atproto.repo.UnsignedCommit;
import dev.alteran.atproto.syntax.TidClock;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Moving in: {@code com.atproto.repo.importRepo} of one generated repository CAR into a new account that
 * has been deactivated, as an account migration does (the new host's account is created deactivated,
 * then the old host's CAR is imported). Timed from the request to its 200, with the server's resident
 * memory sampled every 5 ms throughout.
 *
 * <p>The repository (posts under TID keys, its MST) is generated once per size; only the commit block
 * differs between the systems, since it names the account's DID. It is signed with a key of its own, as
 * the old host's would be: neither system checks that signature on import (the reference checks neither
 * the DID nor the signature; Alteran checks the DID).
 *
 * <p>Alteran is one account per server, so each Alteran import runs in a server of its own, started by the
 * launcher's options over a new data directory; on the reference each import gets a new account. The
 * reference accepts an import body up to its upload limit (5 MiB unless its operator sets
 * {@code PDS_MAX_REPO_IMPORT_SIZE}; the benchmark's reference runs with the defaults). When it refuses the
 * full size, both are compared at the largest size under that limit, and the full size goes to a second
 * reference whose limit is raised.
 */
final class ImportLoad {
    private static final String POST = "app.bsky.feed.post";
    private static final Duration IMPORT_TIMEOUT = Duration.ofMinutes(30);

    private ImportLoad() {}

    /** One import: how it answered, how long it took, the server's memory and CPU. */
    record Result(int status, String error, double seconds, double rssBeforeMb, double rssPeakMb, double cpuSeconds,
                  long indexedRecords) {
        boolean ok() {
            return status == 200;
        }
    }

    /** A repository of posts: its MST nodes and records, without a commit (that names the DID). */
    static final class Repository {
        final int records;
        final BlockMap blocks = new BlockMap();
        final Cid data;
        final String rev;

        Repository(int records) {
            this.records = records;
            var clock = new TidClock(7);
            var entries = new HashMap<String, Cid>();
            var created = Instant.parse("2024-01-01T00:00:00Z");
            for (int i = 0; i < records; i++) {
                var rec = new LinkedHashMap<String, Object>();
                rec.put("$type", POST);
                rec.put("text", "imported post " + i + " from an account moving in, with a few more words as posts have");
                rec.put("createdAt", created.plusSeconds(i).toString());
                rec.put("langs", List.of("en"));
                entries.put(POST + "/" + clock.next(), blocks.putObject(rec));
            }
            var mst = Mst.build(blocks, entries);
            blocks.putAll(mst.newBlocks());
            data = mst.root();
            rev = clock.next().toString();
        }

        /** Writes the CAR of this repository with a commit for {@code did}; returns its size in bytes. */
        long writeCar(Path file, String did, Keypair oldHostKey) {
            var commit = new UnsignedCommit(did, data, rev).sign(oldHostKey).encode();
            var root = Cid.ofDagCbor(commit);
            try (var car = new CarWriter(Files.newOutputStream(file), root)) {
                car.write(root, commit);
                blocks.forEach(car::write);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            try {
                return Files.size(file);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    /**
     * The scenario: the full size ({@code --import-records}) and a tenth of it into Alteran (the memory
     * of the two shows whether it stays bounded as the repository grows); the full size into the
     * reference, and, when the reference refuses it as too large, both at the largest size it takes, and the
     * full size into a reference whose limit is raised.
     */
    static void run(Options opt, Path work, Server reference, Report report) throws Exception {
        var dir = Files.createDirectories(work.resolve("import"));
        var key = Keypair.generate(Curve.K256); // the old host's key
        int full = opt.importRecords();
        var big = generate(full);
        var small = generate(Math.max(1, full / 10));

        Repository fit = null;
        Result refRefused = null, refFull = null, refFit = null;
        long fullBytes = 0;
        if (reference != null) {
            refFull = intoReference(reference, big, dir, key, "full");
            if (refFull.status() == 413) {
                refRefused = refFull;
                fit = largestUnder(big, opt.referenceImportLimit(), dir, key);
                refFit = intoReference(reference, fit, dir, key, "fit");
                refFull = intoRaisedReference(opt, big, dir, key);
            }
        }
        var alteranSmall = intoAlteran(opt, dir, small, key);
        var alteranFit = fit == null ? null : intoAlteran(opt, dir, fit, key);
        var alteranFull = intoAlteran(opt, dir, big, key);
        fullBytes = Files.size(dir.resolve("alteran-" + full + ".car"));

        if (refRefused != null) {
            report.meta("reference importRepo of " + full + " records, at its defaults", refRefused.status() + " " + refRefused.error()
                    + "; the row below is a reference started with its import limit (maxImportSize) raised to take it");
        }
        if (refFull != null && !refFull.ok()) {
            report.meta("reference importRepo of " + full + " records", refFull.status() + " " + refFull.error());
        }
        report.row("importRepo of " + full + " records, into a new deactivated account (s)",
                pair(alteranFull, refFull, Result::seconds), Report.Better.LOWER, ">= 10x", null);
        if (fit != null) {
            report.row("importRepo of " + fit.records + " records, the largest the reference takes (" + opt.referenceImportLimit()
                    + "-byte limit) (s)", pair(alteranFit, refFit, Result::seconds), Report.Better.LOWER, ">= 10x", null);
        }
        report.row("importRepo: CAR of " + full + " records (MB)", Map.of("alteran", fullBytes / 1e6), Report.Better.NONE, "", null);
        report.row("importRepo of " + small.records + " records: peak RSS during (MB)", Map.of("alteran", alteranSmall.rssPeakMb()),
                Report.Better.LOWER, "", null);
        if (fit != null) {
            report.row("importRepo of " + fit.records + " records: RSS before (MB)",
                    pair(alteranFit, refFit, Result::rssBeforeMb), Report.Better.LOWER, "", null);
            report.row("importRepo of " + fit.records + " records: peak RSS during (MB)", pair(alteranFit, refFit, Result::rssPeakMb),
                    Report.Better.LOWER, "", null);
        }
        report.row("importRepo of " + full + " records: RSS before (MB)", pair(alteranFull, refFull, Result::rssBeforeMb), Report.Better.LOWER, "", null);
        report.row("importRepo of " + full + " records: peak RSS during (MB)", pair(alteranFull, refFull, Result::rssPeakMb),
                Report.Better.LOWER, "bounded", null);
        report.row("importRepo of " + full + " records: server CPU (s)", pair(alteranFull, refFull, Result::cpuSeconds), Report.Better.LOWER, "", null);
    }

    private static Map<String, Double> pair(Result alteran, Result reference, java.util.function.ToDoubleFunction<Result> f) {
        var m = new LinkedHashMap<String, Double>();
        m.put("alteran", alteran.ok() ? f.applyAsDouble(alteran) : Double.NaN);
        if (reference != null && reference.ok()) m.put("reference", f.applyAsDouble(reference));
        return m;
    }

    private static Repository generate(int records) {
        long t0 = System.nanoTime();
        var repo = new Repository(records);
        LoadRun.log("import: generated a repository of %d records (%d blocks) in %.1f s", records, repo.blocks.size(),
                (System.nanoTime() - t0) / 1e9);
        return repo;
    }

    /** The largest repository, in steps of 1% of {@code big}'s records, whose CAR is at most {@code limit} bytes. */
    private static Repository largestUnder(Repository big, long limit, Path dir, Keypair key) {
        var probe = dir.resolve("probe.car");
        double perRecord = (double) big.writeCar(probe, "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", key) / big.records;
        int step = Math.max(1, big.records / 100);
        int n = (int) (limit / perRecord) / step * step;
        while (n > step) {
            var repo = new Repository(n);
            if (repo.writeCar(probe, "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", key) <= limit) return repo;
            n -= step;
        }
        return new Repository(step);
    }

    /** A new account on the reference, deactivated, then the import. */
    private static Result intoReference(Server ref, Repository repo, Path dir, Keypair key, String tag) throws Exception {
        var xrpc = new Xrpc(ref.url);
        var handle = "mover-" + tag + "-" + Long.toString(System.nanoTime() % 1_000_000_000L, 36) + ".test";
        var created = call(xrpc, "com.atproto.server.createAccount",
                Map.of("handle", handle, "email", handle + "@example.com", "password", "mover-password"), null);
        var did = created.get("did").asText();
        var jwt = created.get("accessJwt").asText();
        call(xrpc, "com.atproto.server.deactivateAccount", Map.of(), jwt);
        var car = dir.resolve("reference-" + repo.records + ".car");
        repo.writeCar(car, did, key);
        var r = importRepo(ref, xrpc, jwt, car);
        log("reference", repo.records, car, r);
        Files.delete(car);
        return r;
    }

    /**
     * The full size into a reference PDS of its own, started as the main one but with its operator's import
     * limit raised to the CAR's size (bench/reference/refpds-import-limit.sh), since at its defaults it refuses it.
     */
    private static Result intoRaisedReference(Options opt, Repository repo, Path dir, Keypair key) throws Exception {
        var work = Files.createDirectories(dir.resolve("reference-raised"));
        var probe = dir.resolve("probe.car");
        long limit = 2 * repo.writeCar(probe, "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", key);
        var script = opt.root().resolve("bench/reference/refpds-import-limit.sh");
        var env = List.of("env", "REFPDS=" + opt.refScript().toAbsolutePath(), "MAX_IMPORT_SIZE=" + limit);
        try (var raised = Server.startReference(env, script, work)) {
            LoadRun.log("import: a reference PDS with its import limit raised to %d bytes, up in %.0f ms", limit, raised.coldStartMs);
            return intoReference(raised, repo, dir, key, "big");
        }
    }

    /** A new Alteran server over a new data directory (its one account), deactivated, then the import. */
    private static Result intoAlteran(Options opt, Path dir, Repository repo, Keypair key) throws Exception {
        var logs = Files.createDirectories(dir.resolve("alteran-" + repo.records));
        // The launcher's flags, with the start-up cache the main run's first start wrote.
        var java = Path.of(System.getProperty("java.home"));
        var flags = ColdStart.flags(opt, java, ColdStart.cache(dir.resolveSibling(LoadRun.ALTERAN)));
        try (var s = Server.startAlteran(List.of(), java.resolve("bin/java"), opt.jar(), flags, logs.resolve("data"), Server.freePort(), logs, null)) {
            var xrpc = new Xrpc(s.url);
            xrpc.login(s.handle, s.password);
            call(xrpc, "com.atproto.server.deactivateAccount", Map.of(), xrpc.accessJwt());
            var car = dir.resolve("alteran-" + repo.records + ".car");
            repo.writeCar(car, s.did, key);
            var r = importRepo(s, xrpc, xrpc.accessJwt(), car);
            log("alteran", repo.records, car, r);
            return r;
        }
    }

    private static Result importRepo(Server s, Xrpc xrpc, String jwt, Path car) throws Exception {
        var req = HttpRequest.newBuilder(URI.create(s.url + "/xrpc/com.atproto.repo.importRepo")).timeout(IMPORT_TIMEOUT)
                .header("content-type", "application/vnd.ipld.car").header("authorization", "Bearer " + jwt)
                .POST(HttpRequest.BodyPublishers.ofFile(car)).build();
        double cpu0 = s.cpuSeconds();
        double before = s.rssMb();
        HttpResponse<String> resp;
        long t0 = System.nanoTime();
        double peak;
        try (var sampler = s.new RssPeak()) {
            resp = xrpc.http.send(req, HttpResponse.BodyHandlers.ofString());
            sampler.close();
            peak = sampler.peakMb();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        double cpu = s.cpuSeconds() - cpu0;
        if (resp.statusCode() != 200) return new Result(resp.statusCode(), resp.body(), secs, before, peak, cpu, 0);
        // The work was done: every record indexed.
        var status = get(xrpc, "com.atproto.server.checkAccountStatus", jwt);
        return new Result(200, null, secs, before, peak, cpu, status.get("indexedRecords").asLong());
    }

    private static void log(String system, int records, Path car, Result r) throws IOException {
        LoadRun.log("%s importRepo of %d records (%.1f MB): %d%s in %.2f s, %d records indexed, RSS %.0f -> peak %.0f MB, server CPU %.1f s",
                system, records, Files.size(car) / 1e6, r.status(), r.ok() ? "" : " " + r.error(), r.seconds(), r.indexedRecords(),
                r.rssBeforeMb(), r.rssPeakMb(), r.cpuSeconds());
        if (r.ok() && r.indexedRecords() != records) {
            throw new IllegalStateException(system + " indexed " + r.indexedRecords() + " of " + records + " imported records");
        }
    }

    private static JsonNode call(Xrpc xrpc, String nsid, Object body, String jwt) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(xrpc.baseUrl + "/xrpc/" + nsid)).timeout(Duration.ofSeconds(60))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(Xrpc.JSON.writeValueAsBytes(body)));
        if (jwt != null) b.header("authorization", "Bearer " + jwt);
        return answer(xrpc.http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray()), nsid);
    }

    private static JsonNode get(Xrpc xrpc, String nsid, String jwt) throws Exception {
        var req = HttpRequest.newBuilder(URI.create(xrpc.baseUrl + "/xrpc/" + nsid)).timeout(Duration.ofSeconds(60))
                .header("authorization", "Bearer " + jwt).GET().build();
        return answer(xrpc.http.send(req, HttpResponse.BodyHandlers.ofByteArray()), nsid);
    }

    private static JsonNode answer(HttpResponse<byte[]> resp, String nsid) throws IOException {
        if (resp.statusCode() != 200) {
            throw new IOException(nsid + " -> " + resp.statusCode() + " " + new String(resp.body(), StandardCharsets.UTF_8));
        }
        var body = resp.body();
        return body.length == 0 ? Xrpc.JSON.createObjectNode() : Xrpc.JSON.readTree(body);
    }
}
