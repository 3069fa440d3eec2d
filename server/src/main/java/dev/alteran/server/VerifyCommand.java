package dev.alteran.server;

import dev.alteran.pds.Databases;
import dev.alteran.pds.blob.BlobStore;
import dev.alteran.pds.store.RepoAudit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code alteran verify}: the whole repository checked, every problem printed. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Check the whole repository: every block hashes to its CID, the head commit is for PDS_DID and validly signed",
                "by REPO_SIGNING_KEY, the MST is well-formed and complete, the record index matches the MST both ways, and each",
                "record's blob references match record_blob and are stored. Prints every problem; exits 1 if there is any.",
                "Safe while the server runs (one read snapshot)."})
final class VerifyCommand implements Callable<Integer> {
    @Mixin
    DataOptions data;

    @Option(names = "--skip-blob-store", description = "Do not look for each referenced blob in the blob store (only in the database).")
    boolean skipBlobStore;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var config = data.repoConfig();
        DataOptions.requireBlobStorage(config);
        var out = spec.commandLine().getOut();
        long start = System.nanoTime();
        RepoAudit.Report report;
        try (var db = Databases.openExisting(config);
             var store = BlobStore.open(config);
             var progress = ConsoleProgress.on(spec.commandLine().getErr())) {
            report = RepoAudit.verify(db, config.did(), config.signingKey().publicKey(), skipBlobStore ? null : cid -> {
                try {
                    return store.exists(cid.toString());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, progress);
        }
        for (var p : report.problems()) out.println("problem: " + p);
        if (report.problemCount() > report.problems().size()) {
            out.printf(Locale.ROOT, "... and %,d more problems%n", report.problemCount() - report.problems().size());
        }
        out.printf(Locale.ROOT, "%s %s (rev %s): %,d records, %,d MST nodes, %,d blocks, %,d blob references; %,d unreachable blocks%s in %.1f s%n",
                report.ok() ? "verified" : "FAILED", report.commit(), report.rev(), report.records(), report.nodes(), report.blocks(),
                report.blobRefs(), report.unreachableBlocks(), report.unreachableBlocks() > 0 ? " (`alteran gc` removes them)" : "",
                (System.nanoTime() - start) / 1e9);
        if (!report.ok()) out.printf(Locale.ROOT, "%,d problem%s found%n", report.problemCount(), report.problemCount() == 1 ? "" : "s");
        out.flush();
        return report.ok() ? 0 : 1;
    }
}
