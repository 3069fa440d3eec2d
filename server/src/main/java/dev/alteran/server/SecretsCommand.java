package dev.alteran.server;

import dev.alteran.pds.config.Config;
import dev.alteran.pds.config.ConfigException;
import dev.alteran.pds.config.Environment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "secrets", mixinStandardHelpOptions = true,
        description = "Generate every secret for a PDS and write an env file (mode 0600), or print it.")
final class SecretsCommand implements Callable<Integer> {
    @Option(names = "--env", defaultValue = "production", description = "dev, staging or production (default: ${DEFAULT-VALUE}).")
    String env;

    @Option(names = "--did", description = {"The account DID, e.g. did:web:example.com or did:plc:...; leave it out for a new",
            "did:plc, which `alteran plc create` then makes and writes into the file."})
    String did;

    @Option(names = "--handle", required = true, description = "The account handle, e.g. user.example.com")
    String handle;

    @Option(names = "--hostname", description = "The public host name of the PDS (default: the did:web host, else the handle).")
    String hostname;

    @Option(names = "--out", defaultValue = "alteran.env", description = "The env file to write (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--print", description = "Print the lines instead of writing a file.")
    boolean print;

    @Option(names = "--force", description = "Overwrite an existing env file.")
    boolean force;

    @Override
    public Integer call() throws Exception {
        var environment = Environment.parse(env);
        var values = new LinkedHashMap<String, String>();
        values.put("ALTERAN_ENV", environment.label());
        values.put("PDS_DID", did != null ? did : "");
        values.put("PDS_HANDLE", handle);
        values.put("PDS_HOSTNAME", hostname != null ? hostname : defaultHostname());
        values.putAll(Secrets.generate(null));
        if (environment == Environment.PRODUCTION) values.put("PDS_CORS_ORIGIN", "https://bsky.app");
        var problems = Config.from(values).problems().stream()
                .filter(p -> did != null || !p.startsWith("PDS_DID: required")).toList();
        if (!problems.isEmpty()) throw new ConfigException(problems);

        var text = Secrets.render(values);
        if (print) {
            System.out.print(text);
        } else {
            if (Files.exists(out) && !force) {
                System.err.println("alteran: " + out + " exists; pass --force to replace it");
                return 1;
            }
            Secrets.writePrivate(out, text);
            System.out.println("wrote " + out + " (mode 0600)");
        }
        System.out.println("# repo signing key: " + Secrets.didKeyOf(values.get("REPO_SIGNING_KEY")));
        System.out.println("# PLC rotation key: " + Secrets.didKeyOf(values.get("PDS_PLC_ROTATION_KEY")));
        if (did == null) System.out.println("# PDS_DID is empty: `alteran plc create --env-file " + out + "` makes a did:plc and sets it");
        return 0;
    }

    private String defaultHostname() {
        return did != null && did.startsWith("did:web:") ? java.net.URLDecoder.decode(did.substring(8), java.nio.charset.StandardCharsets.UTF_8) : handle;
    }
}
