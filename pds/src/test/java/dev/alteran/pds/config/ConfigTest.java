package dev.alteran.pds.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigTest {
    static final String KEY = "e5b9a2c1f0d3b4a5968778695a4b3c2d1e0f1a2b3c4d5e6f708192a3b4c5d6e7";
    static final String ROTATION_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0";
    /** A secp256k1 did:key (the atproto spec's example). */
    static final String RECOVERY_DID_KEY = "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme";

    static Map<String, String> production() {
        var m = new HashMap<String, String>();
        m.put("ALTERAN_ENV", "production");
        m.put("PDS_DID", "did:web:pds.example.com");
        m.put("PDS_HANDLE", "Alice.Example.com");
        m.put("PDS_HOSTNAME", "pds.example.com");
        m.put("USER_PASSWORD", "a long and secret password");
        m.put("ACCESS_TOKEN", "a".repeat(43));
        m.put("REFRESH_TOKEN", "b".repeat(43));
        m.put("REPO_SIGNING_KEY", KEY);
        m.put("PDS_CORS_ORIGIN", "https://bsky.app");
        return m;
    }

    static String problemsOf(Map<String, String> values) {
        var e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> Config.from(values).validateOrThrow());
        return e.getMessage();
    }

    /** {@link #production()} in code. */
    static Config.Builder productionBuilder() {
        return Config.builder()
                .env(Environment.PRODUCTION)
                .did("did:web:pds.example.com")
                .handle("Alice.Example.com")
                .hostname("pds.example.com")
                .userPassword("a long and secret password")
                .accessTokenSecret("a".repeat(43))
                .refreshTokenSecret("b".repeat(43))
                .repoSigningKey(KEY)
                .corsOrigins(List.of("https://bsky.app"));
    }

    /** Every option of the two is the same (Config has no equals: it compares what its accessors answer). */
    static void assertSameOptions(Config actual, Config expected) throws Exception {
        var skipped = Set.of("toBuilder", "signingKey", "plcRotationKeypair", "validateOrThrow", "toString", "hashCode");
        for (var m : Config.class.getDeclaredMethods()) {
            int mod = m.getModifiers();
            if (!Modifier.isPublic(mod) || Modifier.isStatic(mod) || m.getParameterCount() > 0 || skipped.contains(m.getName())) continue;
            assertThat(m.invoke(actual)).as(m.getName()).isEqualTo(m.invoke(expected));
        }
        assertThat(actual.toString()).isEqualTo(expected.toString());
    }

    @Test
    void theBuilderStartsFromTheSameDefaultsAsTheEnvironment() throws Exception {
        assertSameOptions(Config.builder().build(), Config.from(Map.of()));
        // Some defaults depend on the environment: CORS origins, relays, the bind address.
        assertSameOptions(Config.builder().env(Environment.PRODUCTION).build(), Config.from(Map.of("ALTERAN_ENV", "production")));
        assertSameOptions(productionBuilder().build().validateOrThrow(), Config.from(production()).validateOrThrow());
        assertThat(productionBuilder().build().handle()).isEqualTo("alice.example.com");
    }

    @Test
    void aBuiltConfigIsValidatedWithTheSameMessages() {
        var m = production();
        m.remove("PDS_DID");
        var fromBuilder = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
                () -> productionBuilder().did(null).build().validateOrThrow());
        assertThat(fromBuilder.getMessage()).isEqualTo(problemsOf(m)).contains("PDS_DID: required but not set");

        m = production();
        m.put("PDS_PLC_URL", "plc.example.com/");
        m.put("PDS_SEQ_WINDOW", "0");
        assertThat(productionBuilder().plcUrl("plc.example.com/").seqWindow(0).build().problems())
                .isEqualTo(Config.from(m).problems())
                .contains("PDS_PLC_URL: 'plc.example.com' is not an http(s) URL like https://plc.directory");
    }

    @Test
    void toBuilderKeepsEveryOptionAndChangesWhatIsSet(@TempDir Path dir) throws Exception {
        var m = production();
        m.put("PDS_PLC_URL", "https://plc.example.com//"); // one slash is dropped, once
        m.put("PDS_SEQ_WINDOW", "lots");
        m.put("PDS_PLC_ROTATION_KEY", ROTATION_KEY);
        m.put("PDS_RECOVERY_DID_KEY", RECOVERY_DID_KEY);
        m.put("PDS_DPOP_SECRET", ROTATION_KEY);
        var c = Config.from(m);
        assertSameOptions(c.toBuilder().build(), c);
        assertThat(c.plcUrl()).isEqualTo("https://plc.example.com/");
        assertThat(c.toBuilder().build().problems()).contains("PDS_SEQ_WINDOW: 'lots' is not a whole number");
        var moved = c.withDataDir(dir).withPort(0);
        assertThat(moved.dataDir()).isEqualTo(dir);
        assertThat(moved.port()).isZero();
        assertSameOptions(moved.toBuilder().dataDir(c.dataDir()).port(c.port()).build(), c);
    }

    @Test
    void theOriginalsPolicyLinksAndContactAreReadAndChecked() throws Exception {
        var m = production();
        var c = Config.from(m).validateOrThrow();
        assertThat(c.policyLinks().links()).isEmpty();
        assertThat(c.policyLinks().contact()).isEmpty();
        m.put("PDS_LINK_PRIVACY", "https://example.com/privacy");
        m.put("PDS_LINK_TOS", "https://example.com/terms");
        m.put("PDS_CONTACT_EMAIL", "admin@example.com");
        c = Config.from(m).validateOrThrow();
        assertThat(c.policyLinks().links()).containsExactly(Map.entry("privacyPolicy", "https://example.com/privacy"),
                Map.entry("termsOfService", "https://example.com/terms"));
        assertThat(c.policyLinks().contact()).containsExactly(Map.entry("email", "admin@example.com"));
        assertSameOptions(c.toBuilder().build(), c);
        m.put("PDS_LINK_PRIVACY", "javascript:alert(1)");
        m.put("PDS_LINK_TOS", "example.com/terms");
        m.put("PDS_CONTACT_EMAIL", "nobody");
        assertThat(Config.from(m).problems()).contains(
                "PDS_LINK_PRIVACY: 'javascript:alert(1)' is not an http(s) URL like https://example.com/privacy",
                "PDS_LINK_TOS: 'example.com/terms' is not an http(s) URL like https://example.com/privacy",
                "PDS_CONTACT_EMAIL: 'nobody' is not an e-mail address");
    }

    @Test
    void theOriginalsChatNamesAreAliasesAndOursWin() {
        var m = production();
        m.put("PDS_BSKY_CHAT_URL", "https://chat.example.com");
        m.put("PDS_BSKY_CHAT_DID", "did:web:chat.example.com");
        var proxy = Config.from(m).validateOrThrow().proxy();
        assertThat(proxy.chatUrl()).isEqualTo("https://chat.example.com");
        assertThat(proxy.chatDid()).isEqualTo("did:web:chat.example.com");
        m.put("PDS_CHAT_URL", "https://ours.example.com");
        m.put("PDS_CHAT_DID", "did:web:ours.example.com");
        proxy = Config.from(m).validateOrThrow().proxy();
        assertThat(proxy.chatUrl()).isEqualTo("https://ours.example.com");
        assertThat(proxy.chatDid()).isEqualTo("did:web:ours.example.com");
        assertThat(Config.isKnownName("PDS_BSKY_CHAT_URL")).isTrue();
    }

    @Test
    void theModerationServiceNeedsBothItsUrlAndItsDid() {
        var m = production();
        assertThat(Config.from(m).validateOrThrow().proxy().hasModeration()).isFalse();
        m.put("PDS_OZONE_URL", "https://ozone.example.com/");
        assertThat(Config.from(m).problems()).contains(
                "PDS_OZONE_URL and PDS_OZONE_DID: set both (the moderation service's URL and its DID) or neither");
        m.put("PDS_OZONE_DID", "did:plc:ozoneozoneozoneozoneozon");
        var proxy = Config.from(m).validateOrThrow().proxy();
        assertThat(proxy.hasModeration()).isTrue();
        assertThat(proxy.moderationUrl()).isEqualTo("https://ozone.example.com");
        m.put("PDS_OZONE_URL", "http://ozone.example.com");
        m.put("PDS_OZONE_DID", "ozone");
        assertThat(Config.from(m).problems()).contains(
                "PDS_OZONE_URL: must be https outside development, not 'http://ozone.example.com'",
                "PDS_OZONE_DID: 'ozone' is not a did:web or did:plc DID");
    }

    @Test
    void theMetricsTokenMayComeFromAFile(@TempDir Path dir) throws Exception {
        var file = dir.resolve("metrics-token");
        java.nio.file.Files.writeString(file, "d".repeat(40) + "\n");
        var values = ConfigSources.merge(null, Map.of("PDS_METRICS_TOKEN_FILE", file.toString()));
        assertThat(Config.from(values).metrics().token()).isEqualTo("d".repeat(40));
    }

    @Test
    void relayNotifyFalseTellsNoRelayWhateverTheList() {
        var m = production();
        assertThat(Config.from(m).validateOrThrow().relayHosts()).containsExactly("bsky.network");
        m.put("PDS_RELAY_NOTIFY", "true");
        assertThat(Config.from(m).validateOrThrow().relayHosts()).containsExactly("bsky.network");
        m.put("PDS_RELAY_HOSTS", "relay.example.com");
        m.put("PDS_RELAY_NOTIFY", "false");
        assertThat(Config.from(m).validateOrThrow().relayHosts()).isEmpty();
        m.put("PDS_RELAY_NOTIFY", "FALSE");
        assertThat(Config.from(m).validateOrThrow().relayHosts()).isEmpty();
    }

    @Test
    void relayNotifyWithHostsIsAnAliasOfTheRelayList() {
        var m = production();
        m.put("PDS_RELAY_NOTIFY", "relay1.example.com, relay2.example.com");
        assertThat(Config.from(m).validateOrThrow().relayHosts()).containsExactly("relay1.example.com", "relay2.example.com");
        m.put("PDS_RELAY_HOSTS", "relay.example.com");
        assertThat(Config.from(m).validateOrThrow().relayHosts()).containsExactly("relay.example.com");
        m.remove("PDS_RELAY_HOSTS");
        m.put("PDS_RELAY_NOTIFY", "yes please");
        assertThat(Config.from(m).problems()).contains("PDS_RELAY_HOSTS: 'yes please' is not a host name (or an http(s) URL of a host)");
    }

    @Test
    void metricsAreOffUntilATokenOrAnAddressIsSet() {
        var m = production();
        assertThat(Config.from(m).validateOrThrow().metrics().enabled()).isFalse();
        m.put("PDS_METRICS_TOKEN", "c".repeat(32));
        m.put("PDS_METRICS_ADDRESS", "[::1]:9090");
        var metrics = Config.from(m).validateOrThrow().metrics();
        assertThat(Config.isKnownName("PDS_METRICS_TOKEN")).isTrue();
        assertThat(metrics.enabled()).isTrue();
        assertThat(metrics.host()).isEqualTo("::1");
        assertThat(metrics.port()).isEqualTo(9090);
        m.put("PDS_METRICS_TOKEN", "short");
        m.put("PDS_METRICS_ADDRESS", "9090");
        assertThat(Config.from(m).problems()).contains(
                "PDS_METRICS_TOKEN: must be at least 16 characters without spaces, e.g. from `openssl rand -hex 32`",
                "PDS_METRICS_ADDRESS: '9090' is not host:port, like 127.0.0.1:9090");
    }

    @Test
    void theDpopSecretIs32BytesOfHex() {
        assertThat(Config.from(production()).validateOrThrow().dpopSecret()).isNull();
        var m = production();
        m.put("PDS_DPOP_SECRET", ROTATION_KEY);
        assertThat(Config.from(m).validateOrThrow().dpopSecret()).isEqualTo(ROTATION_KEY);
        m.put("PDS_DPOP_SECRET", "abc123");
        assertThat(problemsOf(m)).contains("PDS_DPOP_SECRET: must be 64 hex characters (32 bytes)");
        m.put("PDS_DPOP_SECRET", ROTATION_KEY.replace('f', 'g'));
        assertThat(problemsOf(m)).contains("PDS_DPOP_SECRET: must be 64 hex characters (32 bytes)");
    }

    @Test
    void validProductionConfigPassesWithDefaults() {
        var c = Config.from(production()).validateOrThrow();
        assertThat(c.isProduction()).isTrue();
        assertThat(c.handle()).isEqualTo("alice.example.com");
        assertThat(c.maxBlobSize()).isEqualTo(5L * 1024 * 1024);
        assertThat(c.maxJsonBytes()).isEqualTo(64L * 1024);
        assertThat(c.rateLimitPerMin()).isEqualTo(60);
        assertThat(c.seqWindow()).isEqualTo(512);
        assertThat(c.seqRetention()).isEqualTo(10_000);
        assertThat(c.firehoseBuffer()).isEqualTo(500);
        assertThat(c.accessTtlSec()).isEqualTo(3600);
        assertThat(c.refreshTtlSec()).isEqualTo(2_592_000);
        assertThat(c.blobQuotaBytes()).isEqualTo(10L * 1024 * 1024 * 1024);
        assertThat(c.relayHosts()).containsExactly("bsky.network");
        assertThat(c.allowedMime()).contains("image/png", "video/mp4");
        assertThat(c.signingKey().didKey()).startsWith("did:key:zQ3s");
    }

    @Test
    void plcDirectoryUrlDefaultsAndIsChecked() {
        assertThat(Config.from(production()).plcUrl()).isEqualTo("https://plc.directory");
        var m = production();
        m.put("PDS_PLC_URL", "https://plc.example.com/");
        assertThat(Config.from(m).validateOrThrow().plcUrl()).isEqualTo("https://plc.example.com");
        m.put("PDS_PLC_URL", "http://plc.example.com");
        assertThat(problemsOf(m)).contains("PDS_PLC_URL: must be https in production");
        m.put("PDS_PLC_URL", "plc.example.com");
        assertThat(problemsOf(m)).contains("PDS_PLC_URL: 'plc.example.com' is not an http(s) URL");
        m.put("ALTERAN_ENV", "dev");
        m.put("PDS_PLC_URL", "http://127.0.0.1:2582");
        assertThat(Config.from(m).validateOrThrow().plcUrl()).isEqualTo("http://127.0.0.1:2582");
    }

    @Test
    void proxyTargetsDefaultToBlueskyAndAreChecked() {
        var proxy = Config.from(production()).validateOrThrow().proxy();
        assertThat(proxy.appViewUrl()).isEqualTo("https://api.bsky.app");
        assertThat(proxy.appViewDid()).isEqualTo("did:web:api.bsky.app");
        assertThat(proxy.appViewRef()).isEqualTo("did:web:api.bsky.app#bsky_appview");
        assertThat(proxy.chatUrl()).isEqualTo("https://api.bsky.chat");
        assertThat(proxy.chatRef()).isEqualTo("did:web:api.bsky.chat#bsky_chat");
        assertThat(proxy.allowed()).isEmpty();
        assertThat(proxy.headersTimeoutMs()).isEqualTo(10_000);
        assertThat(proxy.bodyTimeoutMs()).isEqualTo(30_000);
        assertThat(proxy.maxResponseBytes()).isEqualTo(10L * 1024 * 1024);

        var m = production();
        m.put("PDS_BSKY_APP_VIEW_URL", "https://appview.example.com/");
        m.put("PDS_PROXY_ALLOWED", "did:web:labeler.example.com, did:plc:ar7c4by46qjdydhdevvrndac#atproto_labeler");
        var c = Config.from(m).validateOrThrow().proxy();
        assertThat(c.appViewUrl()).isEqualTo("https://appview.example.com");
        assertThat(c.allowed()).containsExactly("did:web:labeler.example.com", "did:plc:ar7c4by46qjdydhdevvrndac#atproto_labeler");

        m.put("PDS_BSKY_APP_VIEW_URL", "http://appview.example.com");
        m.put("PDS_CHAT_URL", "https://chat.example.com/xrpc");
        m.put("PDS_CHAT_DID", "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme");
        m.put("PDS_PROXY_ALLOWED", "https://labeler.example.com");
        m.put("PDS_PROXY_HEADERS_TIMEOUT", "0");
        var problems = problemsOf(m);
        assertThat(problems).contains("PDS_BSKY_APP_VIEW_URL: must be https outside development");
        assertThat(problems).contains("PDS_CHAT_URL: 'https://chat.example.com/xrpc' is not an http(s) origin");
        assertThat(problems).contains("PDS_CHAT_DID: 'did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme' is not a did:web or did:plc DID");
        assertThat(problems).contains("PDS_PROXY_ALLOWED: 'https://labeler.example.com' is not a DID or a did#service_id reference");
        assertThat(problems).contains("PDS_PROXY_HEADERS_TIMEOUT: must be a positive number, not 0");

        m = production();
        m.put("ALTERAN_ENV", "dev");
        m.put("PDS_BSKY_APP_VIEW_URL", "http://127.0.0.1:2584");
        assertThat(Config.from(m).validateOrThrow().proxy().appViewUrl()).isEqualTo("http://127.0.0.1:2584");
        assertThat(Config.isKnownName("PDS_BSKY_APP_VIEW_URL")).isTrue();
        assertThat(Config.isKnownName("PDS_PROXY_ALLOWED")).isTrue();
    }

    @Test
    void userPasswordMayBeAHashButNotABrokenOne() {
        var m = production();
        m.put("USER_PASSWORD", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc");
        Config.from(m).validateOrThrow();
        m.put("USER_PASSWORD", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ");
        assertThat(problemsOf(m)).contains("USER_PASSWORD: looks like a password hash but is not a valid one");
    }

    @Test
    void everyMissingSecretIsNamedAtOnce() {
        var m = production();
        for (var name : new String[] {"PDS_DID", "PDS_HANDLE", "USER_PASSWORD", "ACCESS_TOKEN", "REFRESH_TOKEN", "REPO_SIGNING_KEY", "PDS_HOSTNAME"}) {
            m.remove(name);
        }
        var message = problemsOf(m);
        for (var name : new String[] {"PDS_DID", "PDS_HANDLE", "USER_PASSWORD", "ACCESS_TOKEN", "REFRESH_TOKEN", "REPO_SIGNING_KEY", "PDS_HOSTNAME"}) {
            assertThat(message).contains(name + ": required");
        }
    }

    @Test
    void wildcardCorsIsRefusedInProduction() {
        var m = production();
        m.put("PDS_CORS_ORIGIN", "*");
        assertThat(problemsOf(m)).contains("PDS_CORS_ORIGIN").contains("wildcard");
        m.put("ALTERAN_ENV", "dev");
        assertThat(Config.from(m).problems()).isEmpty();
    }

    @Test
    void malformedDidAndHandleAreNamed() {
        var m = production();
        m.put("PDS_DID", "did:web");
        m.put("PDS_HANDLE", "not a handle");
        assertThat(problemsOf(m)).contains("PDS_DID: 'did:web' is not a valid DID").contains("PDS_HANDLE");
        m = production();
        m.put("PDS_DID", "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme");
        assertThat(problemsOf(m)).contains("only did:web and did:plc");
    }

    @Test
    void nonPositiveOrNonNumericNumbersAreNamed() {
        var m = production();
        m.put("PDS_MAX_BLOB_SIZE", "0");
        m.put("PDS_RATE_LIMIT_PER_MIN", "-5");
        m.put("PDS_SEQ_WINDOW", "lots");
        var message = problemsOf(m);
        assertThat(message).contains("PDS_MAX_BLOB_SIZE: must be a positive number")
                .contains("PDS_RATE_LIMIT_PER_MIN: must be a positive number")
                .contains("PDS_SEQ_WINDOW: 'lots' is not a whole number");
    }

    @Test
    void signingKeyMustBeASecp256k1Scalar() {
        var m = production();
        m.put("REPO_SIGNING_KEY", "00".repeat(32)); // zero is not a valid scalar
        assertThat(problemsOf(m)).contains("REPO_SIGNING_KEY");
        m.put("REPO_SIGNING_KEY", "ff".repeat(32)); // above the group order
        assertThat(problemsOf(m)).contains("REPO_SIGNING_KEY");
        m.put("REPO_SIGNING_KEY", "not-a-key");
        assertThat(problemsOf(m)).contains("REPO_SIGNING_KEY");
        m.put("REPO_SIGNING_KEY", java.util.Base64.getEncoder().encodeToString(java.util.HexFormat.of().parseHex(KEY)));
        assertThat(Config.from(m).problems()).isEmpty();
    }

    @Test
    void plcRotationKeyAndRecoveryDidKeyAreOptionalAndChecked() {
        var m = production();
        var c = Config.from(m).validateOrThrow();
        assertThat(c.plcRotationKeypair()).isEmpty();
        assertThat(c.recoveryDidKey()).isEmpty();

        m.put("PDS_PLC_ROTATION_KEY", ROTATION_KEY);
        m.put("PDS_RECOVERY_DID_KEY", RECOVERY_DID_KEY);
        c = Config.from(m).validateOrThrow();
        assertThat(c.plcRotationKeypair().orElseThrow().didKey())
                .isEqualTo(dev.alteran.atproto.crypto.Keypair.parsePrivateKey(dev.alteran.atproto.crypto.Curve.K256, ROTATION_KEY).didKey());
        assertThat(c.recoveryDidKey()).contains(RECOVERY_DID_KEY);
        m.put("PDS_PLC_ROTATION_KEY", java.util.Base64.getEncoder().encodeToString(java.util.HexFormat.of().parseHex(ROTATION_KEY)));
        assertThat(Config.from(m).problems()).isEmpty();

        m.put("PDS_PLC_ROTATION_KEY", "ff".repeat(32));
        assertThat(problemsOf(m)).contains("PDS_PLC_ROTATION_KEY: not a valid secp256k1 private key");
        m.put("PDS_PLC_ROTATION_KEY", KEY);
        assertThat(problemsOf(m)).contains("PDS_PLC_ROTATION_KEY: must not be the repo signing key");
        m.put("PDS_PLC_ROTATION_KEY", java.util.Base64.getEncoder().encodeToString(java.util.HexFormat.of().parseHex(KEY)));
        assertThat(problemsOf(m)).contains("PDS_PLC_ROTATION_KEY: must not be the repo signing key");
        m.put("PDS_PLC_ROTATION_KEY", ROTATION_KEY);

        for (var bad : List.of("zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme", "did:key:notbase58!", "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                "did:web:example.com")) {
            m.put("PDS_RECOVERY_DID_KEY", bad);
            assertThat(problemsOf(m)).as(bad).contains("PDS_RECOVERY_DID_KEY");
        }
    }

    @Test
    void weakOrEqualHmacKeysAreRefusedInProduction() {
        var m = production();
        m.put("ACCESS_TOKEN", "short");
        m.put("REFRESH_TOKEN", "short");
        var message = problemsOf(m);
        assertThat(message).contains("ACCESS_TOKEN: too short").contains("REFRESH_TOKEN: too short")
                .contains("must be different");
    }

    @Test
    void unknownEnvironmentIsAProblem() {
        var m = production();
        m.put("ALTERAN_ENV", "prod-ish");
        assertThat(problemsOf(m)).contains("ALTERAN_ENV must be dev, staging or production");
    }

    @Test
    void laterSourcesWin(@TempDir Path dir) throws Exception {
        var envFile = dir.resolve("alteran.env");
        Files.writeString(envFile, """
                # comment
                export PDS_HANDLE="file.example.com"
                PDS_DID=did:web:file.example.com
                PDS_MAX_BLOB_SIZE=1000
                """);
        var secret = dir.resolve("password.txt");
        Files.writeString(secret, "from-a-file\n");
        var merged = ConfigSources.merge(envFile, Map.of(
                "PDS_HANDLE", "env.example.com",
                "USER_PASSWORD", "from-env",
                "USER_PASSWORD_FILE", secret.toString(),
                "UNRELATED", "ignored"));
        assertThat(merged).containsEntry("PDS_HANDLE", "env.example.com")
                .containsEntry("PDS_DID", "did:web:file.example.com")
                .containsEntry("PDS_MAX_BLOB_SIZE", "1000")
                .containsEntry("USER_PASSWORD", "from-a-file")
                .doesNotContainKey("UNRELATED");
    }

    @Test
    void unreadableSecretFileIsNamed() {
        assertThatThrownBy(() -> ConfigSources.merge(null, Map.of("ACCESS_TOKEN_FILE", "/nonexistent/secret")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("ACCESS_TOKEN_FILE");
    }

    @Test
    void emailSettingsComeTogetherAreCheckedAndTheSmtpPasswordIsNeverShown(@TempDir Path dir) throws Exception {
        assertThat(Config.from(production()).email().isEnabled()).isFalse();
        var m = production();
        m.put("PDS_EMAIL", "alice@example.com");
        m.put("PDS_EMAIL_SMTP_URL", "smtps://mailer:p%40ss+word@smtp.example.com");
        m.put("PDS_EMAIL_FROM_ADDRESS", "pds@example.com");
        var email = Config.from(m).validateOrThrow().email();
        assertThat(email.isEnabled()).isTrue();
        assertThat(email.smtp()).contains(new EmailConfig.Smtp(true, "smtp.example.com", 465, "mailer", "p@ss+word"));
        assertThat(Config.from(m).toString() + email + email.smtp().orElseThrow()).doesNotContain("p%40ss").doesNotContain("p@ss");
        assertThat(EmailConfig.parse("smtp://relay.internal").toString()).isEqualTo("smtp://relay.internal:587");
        assertThat(EmailConfig.parse("smtp://relay.internal:25/").hasCredentials()).isFalse();

        // The SMTP URL carries a password: it may come from a file, like the other secrets.
        var secret = dir.resolve("smtp-url");
        Files.writeString(secret, "smtp://u:secret@127.0.0.1:2525\n");
        var merged = ConfigSources.merge(null, Map.of("PDS_EMAIL_SMTP_URL_FILE", secret.toString()));
        assertThat(merged).containsEntry("PDS_EMAIL_SMTP_URL", "smtp://u:secret@127.0.0.1:2525");

        var half = production();
        half.put("PDS_EMAIL_SMTP_URL", "smtp://smtp.example.com");
        assertThat(problemsOf(half)).contains("PDS_EMAIL_SMTP_URL and PDS_EMAIL_FROM_ADDRESS: set both")
                .contains("PDS_EMAIL: required when PDS_EMAIL_SMTP_URL is set");
        var other = production();
        other.put("PDS_EMAIL_FROM_ADDRESS", "pds@example.com");
        assertThat(problemsOf(other)).contains("PDS_EMAIL_SMTP_URL and PDS_EMAIL_FROM_ADDRESS: set both");
        for (var bad : List.of("https://u:hunter2@smtp.example.com", "smtp://u:hunter2@", "smtp://hunter2@smtp.example.com",
                "smtps://u:hunter2@smtp.example.com/path", "smtp://u:hunter2@smtp.example.com?x=1", "not a url hunter2")) {
            var b = production();
            b.put("PDS_EMAIL", "alice@example.com");
            b.put("PDS_EMAIL_SMTP_URL", bad);
            b.put("PDS_EMAIL_FROM_ADDRESS", "pds@example.com");
            assertThat(problemsOf(b)).as(bad).contains("PDS_EMAIL_SMTP_URL:").doesNotContain("hunter2");
        }
        var addresses = production();
        addresses.put("PDS_EMAIL", "not an address");
        addresses.put("PDS_EMAIL_SMTP_URL", "smtp://smtp.example.com");
        addresses.put("PDS_EMAIL_FROM_ADDRESS", "pds@");
        assertThat(problemsOf(addresses)).contains("PDS_EMAIL: 'not an address' is not an e-mail address")
                .contains("PDS_EMAIL_FROM_ADDRESS: 'pds@' is not an e-mail address");
    }

    @Test
    void toStringNeverShowsSecrets() {
        var c = Config.from(production());
        assertThat(c.toString()).doesNotContain(KEY).doesNotContain("a long and secret password").doesNotContain("a".repeat(43));
    }

    @Test
    void rateLimitAndProxyOptions() {
        var c = Config.from(production()).validateOrThrow();
        assertThat(c.loginRateLimitPerMin()).isEqualTo(10);
        assertThat(c.blobRateLimitPerMin()).isEqualTo(30);
        assertThat(c.rateLimitStore()).isEqualTo(Config.RateLimitStorage.MEMORY);
        assertThat(c.trustedProxies()).isEmpty();
        assertThat(c.debugRoutes()).isFalse();

        var m = production();
        m.put("PDS_RATE_LIMIT_STORE", "Database");
        m.put("PDS_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1 ,::1");
        m.put("PDS_DEBUG_ROUTES", "true");
        m.put("PDS_RATE_LIMIT_LOGIN_PER_MIN", "3");
        c = Config.from(m).validateOrThrow();
        assertThat(c.rateLimitStore()).isEqualTo(Config.RateLimitStorage.DATABASE);
        assertThat(c.trustedProxies()).containsExactly("10.0.0.0/8", "127.0.0.1", "::1");
        assertThat(c.debugRoutes()).isTrue();
        assertThat(c.loginRateLimitPerMin()).isEqualTo(3);

        m.put("PDS_RATE_LIMIT_STORE", "redis");
        m.put("PDS_TRUSTED_PROXIES", "10.0.0.0/8,proxy.internal,10.0.0.0/40");
        m.put("PDS_DEBUG_ROUTES", "maybe");
        m.put("PDS_RATE_LIMIT_BLOB_PER_MIN", "0");
        assertThat(problemsOf(m)).contains("PDS_RATE_LIMIT_STORE: 'redis' is not memory or database")
                .contains("PDS_TRUSTED_PROXIES: 'proxy.internal' is not an IP address or CIDR range")
                .contains("PDS_TRUSTED_PROXIES: '10.0.0.0/40' is not an IP address")
                .contains("PDS_DEBUG_ROUTES: 'maybe' is not true or false")
                .contains("PDS_RATE_LIMIT_BLOB_PER_MIN: must be a positive number");
    }

    @Test
    void blobStoreDefaultsToFilesAndS3NeedsABucket() {
        var c = Config.from(production()).validateOrThrow();
        assertThat(c.blobStorage().store()).isEqualTo("fs");
        assertThat(c.blobStorage().isS3()).isFalse();

        var m = production();
        m.put("PDS_BLOB_STORE", "S3");
        m.put("PDS_S3_ENDPOINT", "ftp://minio");
        m.put("PDS_S3_ACCESS_KEY_ID", "key");
        m.put("PDS_S3_FORCE_PATH_STYLE", "maybe");
        m.put("PDS_MAX_BLOB_SIZE", Long.toString(6L << 30));
        var message = problemsOf(m);
        assertThat(message).contains("PDS_S3_BUCKET: required", "PDS_S3_ENDPOINT: 'ftp://minio'", "PDS_S3_SECRET_ACCESS_KEY",
                "PDS_S3_FORCE_PATH_STYLE: 'maybe' is not true or false", "PDS_MAX_BLOB_SIZE: at most");

        m = production();
        m.put("PDS_BLOB_STORE", "s3");
        m.put("PDS_S3_ENDPOINT", "http://127.0.0.1:9000");
        m.put("PDS_S3_BUCKET", "alteran-blobs");
        m.put("PDS_S3_ACCESS_KEY_ID", "key");
        m.put("PDS_S3_SECRET_ACCESS_KEY", "very-secret-key");
        m.put("PDS_S3_FORCE_PATH_STYLE", "true");
        var s3 = Config.from(m).validateOrThrow().blobStorage();
        assertThat(s3.isS3()).isTrue();
        assertThat(s3.s3Region()).isEqualTo("us-east-1");
        assertThat(s3.s3ForcePathStyle()).isTrue();
        assertThat(s3.toString()).doesNotContain("very-secret-key").contains("alteran-blobs");
        assertThat(Config.from(m).toString()).doesNotContain("very-secret-key");

        m.put("PDS_BLOB_STORE", "ftp");
        assertThat(problemsOf(m)).contains("PDS_BLOB_STORE: must be 'fs' or 's3'");
    }

    @Test
    void relayHostsDefaultToTheBlueskyRelayOutsideDevelopmentAndAreChecked() {
        var dev = production();
        dev.put("ALTERAN_ENV", "dev");
        assertThat(Config.from(dev).relayHosts()).isEmpty();
        dev.put("PDS_RELAY_HOSTS", "http://127.0.0.1:2470, relay.example.com");
        assertThat(Config.from(dev).validateOrThrow().relayHosts()).containsExactly("http://127.0.0.1:2470", "relay.example.com");
        var m = production();
        m.put("PDS_RELAY_HOSTS", "https://relay.example.com,relay2.example.com:8443");
        assertThat(Config.from(m).validateOrThrow().relayHosts()).hasSize(2);
        m.put("PDS_RELAY_HOSTS", "http://relay.example.com");
        assertThat(problemsOf(m)).contains("PDS_RELAY_HOSTS: must be https in production");
        m.put("PDS_RELAY_HOSTS", "relay.example.com/xrpc");
        assertThat(problemsOf(m)).contains("PDS_RELAY_HOSTS: 'relay.example.com/xrpc' is not a host name");
        m.put("PDS_RELAY_HOSTS", "");
        assertThat(Config.from(m).validateOrThrow().relayHosts()).isEmpty();
    }

    @Test
    void firehoseSizesMustBePositive() {
        var m = production();
        m.put("PDS_SEQ_RETENTION", "0");
        m.put("PDS_FIREHOSE_BUFFER", "-1");
        assertThat(problemsOf(m)).contains("PDS_SEQ_RETENTION: must be a positive number")
                .contains("PDS_FIREHOSE_BUFFER: must be a positive number");
    }

    @Test
    void databaseUrlSelectsPostgresFromAFileAndMakesTheDatabaseTheRateLimitStore(@TempDir Path dir) throws Exception {
        assertThat(Config.from(production()).postgres()).isNull();
        assertThat(Config.from(production()).rateLimitStore()).isEqualTo(Config.RateLimitStorage.MEMORY);
        var secret = dir.resolve("db-url");
        Files.writeString(secret, "postgres://alteran:pa55word@db.internal:5433/pds\n");
        var env = new HashMap<>(production());
        env.put("PDS_DATABASE_URL_FILE", secret.toString());
        var config = Config.from(ConfigSources.merge(null, env)).validateOrThrow();
        assertThat(config.postgres().jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:5433/pds");
        assertThat(config.postgres().password()).isEqualTo("pa55word");
        assertThat(config.rateLimitStore()).isEqualTo(Config.RateLimitStorage.DATABASE);
        assertThat(config.toString()).contains("db.internal:5433").doesNotContain("pa55word");
        env.put("PDS_RATE_LIMIT_STORE", "memory"); // said explicitly: kept
        assertThat(Config.from(ConfigSources.merge(null, env)).rateLimitStore()).isEqualTo(Config.RateLimitStorage.MEMORY);
    }

    @Test
    void anUnreadableDatabaseUrlIsAProblemThatDoesNotQuoteThePassword() {
        var env = production();
        env.put("PDS_DATABASE_URL", "postgres://alteran:pa55word@/pds");
        assertThat(problemsOf(env)).contains("PDS_DATABASE_URL: names no host").doesNotContain("pa55word");
        env.put("PDS_DATABASE_URL", "sqlite:///data/pa55word.db");
        assertThat(problemsOf(env)).contains("PDS_DATABASE_URL: not a PostgreSQL URL").doesNotContain("pa55word");
    }
}
