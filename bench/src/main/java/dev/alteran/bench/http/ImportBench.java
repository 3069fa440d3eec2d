package dev.alteran.bench.http;

import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.pds.store.Database;
import dev.alteran.pds.store.Progress;
import dev.alteran.pds.store.RepoImport;
import dev.alteran.pds.store.SequenceLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The import of {@link ImportLoad}'s repository CAR (the same generated posts) without HTTP: {@link RepoImport}
 * into a new SQLite database through the server's own {@link Database}, for profiling the import alone.
 * Average time measures it warm; single-shot mode with a fork per shot ({@code -bm ss -f 5 -wi 0 -i 1})
 * measures it cold, as the HTTP scenario's server imports once, before the JIT has compiled it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ImportBench {
    static final String DID = "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa";

    /** Posts in the repository (18,000: the largest CAR the reference PDS takes by default). */
    @Param("18000")
    public int records;

    Path dir;
    Path car;
    Path data;
    Database db;

    @Setup(Level.Trial)
    public void car() throws IOException {
        dir = Files.createTempDirectory("alteran-import-bench");
        car = dir.resolve("repo.car");
        new ImportLoad.Repository(records).writeCar(car, DID, Keypair.generate(Curve.K256));
    }

    @Setup(Level.Invocation)
    public void open() throws IOException {
        data = Files.createTempDirectory(dir, "data");
        db = Database.openSqlite(data.resolve("alteran.db"));
    }

    @TearDown(Level.Invocation)
    public void close() throws IOException {
        db.close();
        LoadRun.deleteTree(data);
    }

    @TearDown(Level.Trial)
    public void deleteCar() throws IOException {
        LoadRun.deleteTree(dir);
    }

    /** The command line's import (the same walk, checks and inserts as importRepo's), into the empty database. */
    @Benchmark
    public RepoImport.Result importCar() {
        var r = RepoImport.into(db, DID, null, new SequenceLog(db), false, car, Progress.NONE);
        if (r.records() != records) throw new IllegalStateException("imported " + r.records() + " of " + records + " records");
        return r;
    }
}
