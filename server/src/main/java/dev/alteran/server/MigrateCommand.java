package dev.alteran.server;

import dev.alteran.pds.Databases;
import dev.alteran.pds.store.Migrations;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code alteran migrate}: the schema migrations, applied or listed. */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = {"Apply the pending schema migrations to the database (the data directory's SQLite file, created if needed,",
                "or the PostgreSQL database PDS_DATABASE_URL names).",
                "The server applies them when it starts too; this runs them ahead of time, e.g. before an upgrade."})
final class MigrateCommand implements Callable<Integer> {
    @Mixin
    DataOptions data;

    @Option(names = "--dry-run", description = "List the pending migrations without applying anything.")
    boolean dryRun;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        var config = data.config();
        var file = Databases.describe(config);
        var migrations = dryRun ? Databases.pending(config) : Databases.migrate(config);
        for (var m : migrations) {
            out.printf("%s V%s %s (%s)%n", dryRun ? "pending" : "applied", m.version(), m.description(), m.script());
        }
        if (migrations.isEmpty()) {
            out.printf("%s: the schema is current (%d migrations)%n", file, Migrations.all().size());
        } else {
            out.printf("%s: %d migration%s %s%n", file, migrations.size(), migrations.size() == 1 ? "" : "s",
                    dryRun ? "pending (dry run: nothing applied)" : "applied");
        }
        out.flush();
        return 0;
    }
}
