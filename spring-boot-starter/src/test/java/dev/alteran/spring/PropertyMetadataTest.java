package dev.alteran.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.pds.config.Config;
import dev.alteran.pds.wire.Json;
import java.util.HashSet;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

class PropertyMetadataTest {
    /** Every environment name has its property in the metadata IDEs complete from, and nothing else is listed. */
    @Test
    void metadataListsEveryConfigName() throws Exception {
        JsonNode metadata;
        try (var in = getClass().getResourceAsStream("/META-INF/additional-spring-configuration-metadata.json")) {
            metadata = Json.READER.readTree(in);
        }
        var listed = new HashSet<String>();
        for (var property : metadata.path("properties")) {
            assertThat(property.path("description").asText()).as(property.path("name").asText()).isNotBlank();
            assertThat(listed.add(property.path("name").asText())).as("listed twice: " + property).isTrue();
        }
        var expected = AlteranProperties.environmentNames().stream().map(AlteranProperties::propertyName).collect(Collectors.toSet());
        expected.add(AlteranProperties.DATASOURCE);
        expected.add(AlteranProperties.INCLUDE_ROOT_ENDPOINT);
        assertThat(listed).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(AlteranProperties.environmentNames()).containsAll(Config.NAMES);
        // One property per name: no two names collapse into one spelling, nor onto the starter's own.
        assertThat(expected).hasSize(AlteranProperties.environmentNames().size() + 2);
    }

    /** Boot's relaxed forms reach the parser under the environment name; lists and *-file too. */
    @Test
    void relaxedPropertyFormsBecomeEnvironmentNames(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        var secret = dir.resolve("secret");
        java.nio.file.Files.writeString(secret, "from-a-file\n");
        var env = new StandardEnvironment();
        env.getPropertySources().addFirst(new MapPropertySource("test", Map.of(
                "alteran.blobQuotaBytes", "1234",
                "alteran.rate_limit_store", "database",
                "alteran.relay-hosts[0]", "relay.one",
                "alteran.relay-hosts[1]", "relay.two",
                "alteran.access-token-file", secret.toString(),
                "alteran.hostname", "pds.example.com")));
        var values = AlteranProperties.environmentValues(env);
        assertThat(values).containsEntry("PDS_BLOB_QUOTA_BYTES", "1234").containsEntry("PDS_RATE_LIMIT_STORE", "database")
                .containsEntry("PDS_RELAY_HOSTS", "relay.one,relay.two").containsEntry("ACCESS_TOKEN_FILE", secret.toString())
                .containsEntry("PDS_HOSTNAME", "pds.example.com");
        var config = AlteranProperties.config(env);
        assertThat(config.blobQuotaBytes()).isEqualTo(1234);
        assertThat(config.rateLimitStore()).isEqualTo(Config.RateLimitStorage.DATABASE);
        assertThat(config.relayHosts()).containsExactly("relay.one", "relay.two");
        assertThat(config.accessTokenSecret()).isEqualTo("from-a-file");

        // In the environment: ALTERAN_ and the name without PDS_ (USER_PASSWORD is ALTERAN_USER_PASSWORD).
        var system = new StandardEnvironment();
        system.getPropertySources().addFirst(new org.springframework.core.env.SystemEnvironmentPropertySource("env", Map.of(
                "ALTERAN_BLOB_QUOTA_BYTES", "99", "ALTERAN_USER_PASSWORD", "pw", "ALTERAN_ENV", "staging")));
        assertThat(AlteranProperties.environmentValues(system)).containsEntry("PDS_BLOB_QUOTA_BYTES", "99")
                .containsEntry("USER_PASSWORD", "pw").containsEntry("ALTERAN_ENV", "staging");
    }
}
