package dev.alteran.pds;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layers inside {@code pds}, bottom first. A package may use the ones below it and none above,
 * so a new upward import fails here, naming the class and the dependency.
 */
class ArchitectureTest {
    /** Bottom to top; packages on one line are peers and must not use each other either. */
    static final List<List<String>> LAYERS = List.of(
            List.of("wire"),                 // the XRPC error, the JSON mapper, the method kind
            List.of("store"),                // JDBC: blocks, records, sequence log, tokens
            List.of("auth"),                 // sessions, app passwords, service auth
            List.of("config"),               // typed configuration (validates passwords, proxy lists)
            List.of("blob", "identity", "mail"), // blob storage; DID documents, handles, PLC; SMTP
            List.of("firehose"),             // sequencer fan-out, relays
            List.of("http"),                 // filters, rate limits, health
            // OAuth (scopes, DPoP, clients): below xrpc and appview, which enforce its scopes on
            // requests; above http, identity and config, which its endpoints and client fetching use.
            List.of("oauth"),
            List.of("web"),                  // server-rendered pages: OAuth sign-in and consent, status, the account pages
            List.of("xrpc"),                 // routes, the servlet, the com.atproto handlers
            List.of("appview"));             // app.bsky handlers and the AppView proxy

    static JavaClasses classes;

    @BeforeAll
    static void load() {
        // Only the module's own classes (its output folder), not every jar on the class path: seconds instead of half a minute.
        var main = Location.of(Alteran.class.getProtectionDomain().getCodeSource().getLocation());
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importLocations(List.of(main));
    }

    @Test
    void importsPointDown() {
        LayeredArchitecture rule = layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("root").definedBy("dev.alteran.pds");
        var names = new ArrayList<String>();
        for (var tier : LAYERS) {
            for (var pkg : tier) {
                rule = rule.layer(pkg).definedBy("dev.alteran.pds." + pkg + "..");
                names.add(pkg);
            }
        }
        rule = rule.whereLayer("root").mayNotBeAccessedByAnyLayer();
        for (int i = 0; i < LAYERS.size(); i++) {
            var above = new ArrayList<String>(List.of("root"));
            for (int j = i + 1; j < LAYERS.size(); j++) above.addAll(LAYERS.get(j));
            for (var pkg : LAYERS.get(i)) {
                rule = rule.whereLayer(pkg).mayOnlyBeAccessedByLayers(above.toArray(String[]::new));
            }
        }
        rule.check(classes);
    }

    @Test
    void everyPackageHasALayer() {
        var known = new ArrayList<String>();
        LAYERS.forEach(known::addAll);
        var packages = classes.stream().map(c -> c.getPackageName()).distinct()
                .filter(p -> p.startsWith("dev.alteran.pds."))
                .map(p -> p.substring("dev.alteran.pds.".length()).split("\\.")[0])
                .distinct().toList();
        org.assertj.core.api.Assertions.assertThat(known).as("packages named in LAYERS").containsAll(packages);
    }

    /** An embeddable library shares its JVM with the host application, whose settings these are. */
    @Test
    void noJvmWideSystemProperties() {
        noClasses().should().callMethod(System.class, "setProperty", String.class, String.class)
                .orShould().callMethod(System.class, "clearProperty", String.class)
                .orShould().callMethod(System.class, "setProperties", java.util.Properties.class)
                .check(classes);
    }

    @Test
    void noCycles() {
        slices().matching("dev.alteran.pds.(*)..").should().beFreeOfCycles().check(classes);
    }
}
