package dev.alteran.pds.oauth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.pds.wire.Json;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IncludeScopeTest {
    @Test
    void parses() {
        assertThat(IncludeScope.parse("include:com.example.bar")).isEqualTo(new IncludeScope("com.example.bar", null));
        var withAud = new IncludeScope("com.example.baz", "did:web:example.com#my_service");
        assertThat(IncludeScope.parse("include:com.example.baz?aud=did:web:example.com%23my_service")).isEqualTo(withAud);
        assertThat(IncludeScope.parse("include:com.example.baz?aud=did:web:example.com#my_service")).isEqualTo(withAud);
        assertThat(IncludeScope.parse("include?nsid=com.example.baz")).isEqualTo(new IncludeScope("com.example.baz", null));
        assertThat(IncludeScope.parse("include?aud=did:web:example.com%23my_service&nsid=com.example.baz")).isEqualTo(withAud);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "repo:com.example.baz", "include", "include#", "include:", "include:#", "include:&",
            "include:com..example", "include:com", "include:com.example", "include:9com.example.foo", "include:com.example.-bar",
            "include:invalid^nsid", "include:nsid", "include:com.example.baz?aud=", "include:com.example.baz?aud=did:web:example.com",
            "include:com.example.baz?aud=invalid^did", "include:com.example.baz?other=1"})
    void rejects(String scope) {
        assertThat(IncludeScope.parse(scope)).isNull();
    }

    @Test
    void formats() {
        assertThat(new IncludeScope("com.example.foo", null).scope()).isEqualTo("include:com.example.foo");
        assertThat(new IncludeScope("com.example.foo", "did:web:example.com#my_service").scope())
                .isEqualTo("include:com.example.foo?aud=did:web:example.com%23my_service");
    }

    @Test
    void parentAuthority() {
        var scope = new IncludeScope("com.example.foo.auth", null);
        assertThat(scope.isParentAuthorityOf("com.example.foo.identifier")).isTrue();
        assertThat(scope.isParentAuthorityOf("com.example.foo.bar.baz")).isTrue();
        assertThat(scope.isParentAuthorityOf("com.example.foo.bar.baz.quz")).isTrue();
        for (var other : List.of("com", "com.example", "com.example.bar", "com.example.bar.foo", "com.atproto.foo",
                "com.atproto.foo.auth", "com.example.foo.", "*")) {
            assertThat(scope.isParentAuthorityOf(other)).as(other).isFalse();
        }
    }

    static List<String> expand(String scope, String permissions) throws Exception {
        JsonNode set = Json.READER.readTree("{\"type\":\"permission-set\",\"permissions\":" + permissions + "}");
        return IncludeScope.parse(scope).scopes(set);
    }

    static final String CAL = "include:com.example.calendar.auth";

    @Test
    void takesRepoPermissionsUnderItsAuthority() throws Exception {
        assertThat(expand(CAL, """
                [{"type":"permission","resource":"repo","collection":["com.example.calendar.event"],"action":["create","update","delete"]}]"""))
                .containsExactly("repo:com.example.calendar.event");
        assertThat(expand(CAL, """
                [{"type":"permission","resource":"repo","collection":["com.example.calendar.event"],"action":["delete","update"]},
                 {"type":"permission","resource":"repo","collection":["com.example.calendar.event","com.example.calendar.rsvp"],"action":["delete","create"]}]"""))
                .containsExactly("repo:com.example.calendar.event?action=update&action=delete",
                        "repo?collection=com.example.calendar.event&collection=com.example.calendar.rsvp&action=create&action=delete");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"type\":\"permission\",\"resource\":\"repo\",\"collection\":\"com.example.calendar.event\",\"action\":[\"create\"]}",
            "{\"type\":\"permission\",\"resource\":\"repo\",\"collection\":[\"com.example.calendar.event\"],\"action\":\"all\"}",
            "{\"type\":\"permission\",\"resource\":\"repo\",\"collection\":[\"com.example.calendar.event\"],\"action\":[\"create\",\"manage\"]}",
            "{\"type\":\"permission\",\"resource\":\"repo\",\"collection\":[\"app.bsky.feed.post\"]}",
            "{\"type\":\"permission\",\"resource\":\"repo\",\"collection\":[\"com.example.calendar.event\",\"app.bsky.feed.post\"]}",
            "{\"type\":\"permission\",\"resource\":\"repo\",\"collection\":[\"*\"]}",
            "{\"type\":\"permission\",\"resource\":\"blob\",\"accept\":[\"image/*\"]}",
            "{\"type\":\"permission\",\"resource\":\"account\",\"attr\":\"email\",\"action\":[\"read\"]}",
            "{\"type\":\"permission\",\"resource\":\"identity\",\"attr\":\"handle\"}",
            "{\"type\":\"permission\",\"resource\":\"rpc\",\"aud\":\"did:web:example.com#foo\",\"lxm\":[\"com.example.calendar.listEvents\"]}",
            "{\"type\":\"permission\",\"resource\":\"rpc\",\"aud\":\"*\",\"lxm\":\"com.example.calendar.listEvents\"}",
            "{\"type\":\"permission\",\"resource\":\"rpc\",\"aud\":\"*\",\"lxm\":[\"com.example.calendar.listEvents\"],\"extra\":\"property\"}",
            "{\"type\":\"permission\",\"resource\":\"rpc\",\"aud\":\"*\"}",
            "{\"type\":\"permission\",\"resource\":\"rpc\",\"lxm\":[\"com.example.calendar.listEvents\"]}",
            "{\"type\":\"permission\",\"resource\":\"rpc\"}",
            "{\"type\":\"permission\",\"resource\":\"rpc\",\"inheritAud\":true,\"lxm\":[\"com.example.calendar.listEvents\"]}",
            "{\"type\":\"permission\",\"resource\":\"rpc\",\"aud\":\"*\",\"lxm\":[\"com.atproto.moderation.createReport\"]}",
            "{\"type\":\"permission\",\"resource\":\"rpc\",\"aud\":\"*\",\"lxm\":[\"*\"]}",
            "\"not an object\""})
    void leavesOutWhatASetMayNotGrant(String permission) throws Exception {
        assertThat(expand(CAL, "[" + permission + "]")).isEmpty();
    }

    @Test
    void rpcPermissionsAllowAnyAudienceOrInheritTheScopes() throws Exception {
        assertThat(expand(CAL, """
                [{"type":"permission","resource":"rpc","aud":"*","lxm":["com.example.calendar.listEvents"]}]"""))
                .containsExactly("rpc:com.example.calendar.listEvents?aud=*");
        assertThat(expand(CAL + "?aud=did:web:example.com#foo", """
                [{"type":"permission","resource":"rpc","inheritAud":true,"lxm":["com.example.calendar.listEvents"]},
                 {"type":"permission","resource":"rpc","inheritAud":true,"lxm":["com.example.calendar.getEventDetails"]}]"""))
                .containsExactly("rpc:com.example.calendar.listEvents?aud=did:web:example.com%23foo",
                        "rpc:com.example.calendar.getEventDetails?aud=did:web:example.com%23foo");
        // inheritAud beside an aud of its own is refused
        assertThat(expand(CAL + "?aud=did:web:example.com#bar", """
                [{"type":"permission","resource":"rpc","aud":"did:web:example.com#foo","inheritAud":true,"lxm":["com.example.calendar.listEvents"]}]"""))
                .isEmpty();
    }

    @Test
    void aMalformedSetGrantsNothing() throws Exception {
        var include = IncludeScope.parse(CAL);
        assertThat(include.scopes(null)).isEmpty();
        assertThat(include.scopes(Json.READER.readTree("{\"permissions\":\"x\"}"))).isEmpty();
        assertThat(include.scopes(Json.READER.readTree("[]"))).isEmpty();
    }
}
