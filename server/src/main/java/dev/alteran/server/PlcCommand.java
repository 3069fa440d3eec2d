package dev.alteran.server;

import dev.alteran.pds.Databases;
import dev.alteran.atproto.plc.Plc;
import dev.alteran.atproto.plc.PlcException;
import dev.alteran.atproto.plc.PlcJson;
import dev.alteran.atproto.plc.PlcOperation;
import dev.alteran.atproto.syntax.Handle;
import dev.alteran.pds.auth.PlcTokens;
import dev.alteran.pds.config.Config;
import dev.alteran.pds.config.ConfigException;
import dev.alteran.pds.config.ConfigSources;
import dev.alteran.pds.config.Environment;
import dev.alteran.pds.identity.DidDeactivatedException;
import dev.alteran.pds.identity.IdentityHttp;
import dev.alteran.pds.identity.PlcClient;
import dev.alteran.pds.identity.ResolutionException;
import dev.alteran.pds.store.RepoStore;
import dev.alteran.pds.store.SequenceLog;
import dev.alteran.pds.wire.Json;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code alteran plc ...}: the account's did:plc operations. */
@Command(name = "plc", mixinStandardHelpOptions = true, description = "did:plc operations of the account (see docs/plc.md).",
        subcommands = {PlcCommand.Token.class, PlcCommand.Create.class, PlcCommand.Show.class})
final class PlcCommand implements Runnable {
    /** The directory may be slower than a resolution on a request path; a person is waiting, not a client. */
    static final Duration DIRECTORY_TIMEOUT = Duration.ofSeconds(15);

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The configuration's problems with these options, at once; none is fatal for other commands. */
    static void require(Config config, String... names) {
        var problems = config.problems().stream().filter(p -> List.of(names).stream().anyMatch(p::startsWith)).toList();
        if (!problems.isEmpty()) throw new ConfigException(problems);
    }

    @Command(name = "token", mixinStandardHelpOptions = true,
            description = {"Make a fresh token for com.atproto.identity.signPlcOperation and print it: single use, valid 15 minutes,",
                    "replacing any earlier token (the code requestPlcOperationSignature e-mails, or leaves in <data>/plc-token.txt",
                    "without SMTP). Safe while the server runs."})
    static final class Token implements Callable<Integer> {
        @Mixin
        DataOptions data;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            var config = data.config();
            var out = spec.commandLine().getOut();
            try (var db = Databases.openExisting(config)) {
                var created = new PlcTokens(db, Clock.systemUTC()).create();
                out.println(created.token());
                out.println("# single use, valid until " + created.expiresAt() + "; the token input of com.atproto.identity.signPlcOperation");
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Create the account's did:plc: build and sign a genesis operation, submit it to PDS_PLC_URL, and write",
                    "the DID it derives as PDS_DID into the --env-file. Rotation keys: PDS_RECOVERY_DID_KEY (if set), then",
                    "PDS_PLC_ROTATION_KEY (which signs); verification key: REPO_SIGNING_KEY. Refuses when the file already",
                    "names another DID, unless --force."})
    static final class Create implements Callable<Integer> {
        @Mixin
        DataOptions data;

        @Option(names = "--handle", description = "The handle the DID document names (default: PDS_HANDLE).")
        String handle;

        @Option(names = "--endpoint", description = "This PDS's public URL, the DID document's atproto_pds (default: https://PDS_HOSTNAME).")
        String endpoint;

        @Option(names = "--force", description = "Replace a PDS_DID the env file already sets to another DID (that DID itself is not changed).")
        boolean force;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            if (data.envFile == null) throw new IllegalArgumentException("--env-file is required: the DID is written into it as PDS_DID");
            var config = data.config();
            require(config, "REPO_SIGNING_KEY", "PDS_PLC_ROTATION_KEY", "PDS_RECOVERY_DID_KEY", "PDS_PLC_URL");
            var rotation = config.plcRotationKeypair().orElseThrow(
                    () -> new ConfigException(List.of("PDS_PLC_ROTATION_KEY: required to sign the genesis operation (`alteran secrets` makes one)")));
            if (config.repoSigningKey() == null || config.repoSigningKey().isBlank()) {
                throw new ConfigException(List.of("REPO_SIGNING_KEY: required, the DID document's atproto key"));
            }
            var h = handle != null ? handle : config.handle();
            if (h == null || !Handle.isValid(h)) {
                throw new IllegalArgumentException(h == null ? "no handle: pass --handle or set PDS_HANDLE" : "not a valid handle: " + h);
            }
            h = Handle.normalize(h);
            var url = endpoint != null ? endpoint : config.hostname() != null ? "https://" + config.hostname() : null;
            if (url == null) throw new IllegalArgumentException("no endpoint: pass --endpoint https://pds.example.com or set PDS_HOSTNAME");
            if (!url.matches("https?://[^/\\s?#@]+/?")) {
                throw new IllegalArgumentException("--endpoint must be an http(s) origin like https://pds.example.com, not " + url);
            }
            if (url.endsWith("/")) url = url.substring(0, url.length() - 1);
            if (config.env() == Environment.PRODUCTION && !url.startsWith("https://")) {
                throw new IllegalArgumentException("--endpoint must be https in production, not " + url);
            }

            var rotationKeys = new ArrayList<String>();
            config.recoveryDidKey().ifPresent(rotationKeys::add);
            if (!rotationKeys.contains(rotation.didKey())) rotationKeys.add(rotation.didKey());
            PlcOperation genesis;
            try {
                genesis = PlcOperation.atproto(rotationKeys, config.signingKey().didKey(), h, url).sign(rotation);
            } catch (PlcException e) {
                throw new IllegalArgumentException("cannot make the genesis operation: " + e.getMessage(), e);
            }
            var did = Plc.didForGenesis(genesis);

            // What the file itself says decides, not the environment: that is what is rewritten.
            var existing = ConfigSources.readEnvFile(data.envFile).get("PDS_DID");
            var err = spec.commandLine().getErr();
            if (existing != null && !existing.isBlank() && !existing.equals(did) && !force) {
                err.println("alteran: " + data.envFile + " already sets PDS_DID=" + existing + "; pass --force to replace it with " + did);
                err.flush();
                return 1;
            }

            var out = spec.commandLine().getOut();
            try (var http = new IdentityHttp(DIRECTORY_TIMEOUT, true)) {
                var plc = new PlcClient(config.plcUrl(), http);
                // Signatures are deterministic (RFC 6979): a second run makes the same genesis, already there.
                if (did.equals(existing) && startsWith(plc, did, genesis)) {
                    createRepository(config, did, h);
                    out.println(did);
                    out.println("# already created: " + config.plcUrl() + " has this genesis operation and " + data.envFile + " names the DID");
                    out.flush();
                    return 0;
                }
                var answer = plc.submit(did, genesis);
                if (!answer.accepted()) {
                    err.println("alteran: the PLC directory " + config.plcUrl() + " refused the genesis operation (" + answer.status() + "): "
                            + answer.message());
                    err.flush();
                    return 1;
                }
            }
            var values = new LinkedHashMap<String, String>();
            values.put("PDS_DID", did);
            if (!h.equals(config.handle())) values.put("PDS_HANDLE", h);
            Secrets.setInEnvFile(data.envFile, values);
            createRepository(config, did, h);

            out.println(did);
            out.println("# accepted by " + config.plcUrl() + "; " + String.join(" and ", values.keySet()) + " written to " + data.envFile);
            out.println("# handle at://" + h + ", atproto_pds " + url);
            out.println("# rotation keys " + String.join(", ", rotationKeys) + "; atproto key " + config.signingKey().didKey());
            out.flush();
            return 0;
        }

        /**
         * A new DID is a new account, not one moving in (which the server's first start takes a did:plc
         * without a repository to be): its repository is made now, signed and announced as a new
         * account's is, so the server starts it active.
         */
        private static void createRepository(Config config, String did, String handle) {
            try (var lock = Databases.lock(config, "alteran plc create"); var db = Databases.open(config)) {
                if (RepoStore.isNew(db)) RepoStore.open(db, did, config.signingKey(), new SequenceLog(db, config.seqRetention()), handle);
            }
        }
    }

    /** True when the directory knows {@code did} and its log starts with {@code genesis}. */
    private static boolean startsWith(PlcClient plc, String did, PlcOperation genesis) {
        try {
            var entries = plc.auditEntries(did);
            return !entries.isEmpty() && entries.getFirst().operation().cid().equals(genesis.cid());
        } catch (ResolutionException e) {
            return false; // not there (or not readable): submitting says which
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = {"Print the DID's current document and its audit log from PDS_PLC_URL, and check the log",
                    "(exits 1 when it does not verify)."})
    static final class Show implements Callable<Integer> {
        @Mixin
        DataOptions data;

        @Option(names = "--did", description = "The did:plc to show (default: PDS_DID).")
        String did;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            var config = data.config();
            require(config, "PDS_PLC_URL");
            var d = did != null ? did : config.did();
            if (d == null || !Plc.isPlcDid(d)) {
                throw new IllegalArgumentException(d == null ? "no DID: pass --did or set PDS_DID" : "not a did:plc: " + d);
            }
            var out = spec.commandLine().getOut();
            try (var http = new IdentityHttp(DIRECTORY_TIMEOUT, true)) {
                var plc = new PlcClient(config.plcUrl(), http);
                out.println("# DID document of " + d + " (" + config.plcUrl() + ")");
                try {
                    var document = plc.fetchFresh(d).orElseThrow(() -> new IllegalArgumentException(config.plcUrl() + " does not know " + d));
                    out.println(Json.WRITER.withDefaultPrettyPrinter().writeValueAsString(document));
                } catch (DidDeactivatedException e) {
                    out.println("# none: the directory says the DID is deactivated (tombstoned)");
                }
                var entries = plc.auditEntries(d);
                var log = Json.array();
                for (var e : entries) {
                    log.addObject().put("cid", e.cid()).put("createdAt", e.createdAt()).put("nullified", e.nullified())
                            .set("operation", PlcJson.toJson(e.operation()));
                }
                out.println("# audit log: " + entries.size() + " operation" + (entries.size() == 1 ? "" : "s") + ", oldest first");
                out.println(Json.WRITER.withDefaultPrettyPrinter().writeValueAsString(log));
                try {
                    var history = Plc.verifyAuditLog(d, entries);
                    out.println("# the log verifies" + (history.tombstoned() ? "; the DID is tombstoned" : ""));
                } catch (PlcException e) {
                    out.flush();
                    spec.commandLine().getErr().println("alteran: the audit log does not verify: " + e.getMessage());
                    spec.commandLine().getErr().flush();
                    return 1;
                }
            }
            out.flush();
            return 0;
        }
    }
}
