package dev.alteran.pds.oauth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RpcPermissionTest {
    static final String SVC = "did:web:example.com#service_id";

    @Test
    void parses() {
        var p = RpcPermission.parse("rpc:com.example.service?aud=did:web:example.com%23service_id");
        assertThat(p.aud()).isEqualTo(SVC);
        assertThat(p.lxm()).containsExactly("com.example.service");
        assertThat(RpcPermission.parse("rpc?lxm=com.example.method1&aud=*")).isEqualTo(new RpcPermission("*", List.of("com.example.method1")));
        assertThat(RpcPermission.parse("rpc:com.example.method1?aud=*")).isEqualTo(new RpcPermission("*", List.of("com.example.method1")));
        assertThat(RpcPermission.parse("rpc?aud=*&lxm=com.example.method1&lxm=com.example.method2").lxm())
                .containsExactly("com.example.method1", "com.example.method2");
    }

    @Test
    void formats() {
        assertThat(new RpcPermission(SVC, List.of("com.example.service")).scope()).isEqualTo("rpc:com.example.service?aud=did:web:example.com%23service_id");
        assertThat(new RpcPermission("*", List.of("com.example.method1")).scope()).isEqualTo("rpc:com.example.method1?aud=*");
        assertThat(new RpcPermission(SVC, List.of("com.example.method1", "com.example.method2")).scope())
                .isEqualTo("rpc?lxm=com.example.method1&lxm=com.example.method2&aud=did:web:example.com%23service_id");
        assertThat(new RpcPermission(SVC, List.of("*")).scope()).isEqualTo("rpc:*?aud=did:web:example.com%23service_id");
        assertThat(new RpcPermission(SVC, List.of("*", "com.example.method1")).scope()).isEqualTo("rpc:*?aud=did:web:example.com%23service_id");
    }

    @ParameterizedTest
    @ValueSource(strings = {"rpc?aud=did:web:example.com%23service_id", "rpc:?aud=did:web:example.com%23service_id",
            "rpc?lxm=com.example.method1", "rpc:com.example.method1",
            "rpc:com.example.method1?aud=did:web:example.com&lxm=com.example.method2",
            "rpc?aud=did:web:example.com", "rpc?aud=*&lxm=*", "rpc:*?aud=*", "rpc:com.example.service?aud=invalid",
            "rpc:invalid", "rpc?lxm=invalid", "rpc:*", "invalid", "rpc:invalid?aud=did:web:example.com",
            "rpc:invalid?aud=did:web:example.com%23service_id", "rpc:foo.bar",
            "rpc:com.example.service?aud=did:web:example.com%23service_id&invalid=param",
            "rpc:foo.bar.baz?aud=did:web", "rpc:foo.bar.baz?aud=did:web%23service_id", "rpc:foo.bar.baz?aud=did:plc:111",
            "rpc:foo.bar.baz?aud=did:plc:111%23service_id", "rpc:foo.bar.baz?aud=did:foo:bar",
            "rpc:foo.bar.baz?aud=did:foo:bar%23service_id",
            "rpc:foo.bar.baz?aud=did:web:example.com%23service_id&lxm=foo.bar.baz", "rpc:foo.bar.baz?aud=invalid",
            "notrpc:com.example.service?aud=did:web:example.com%23service_id", "rpc?lxm=invalid&aud=invalid",
            // an audience without a service id, with a path, with a port, or with two fragments
            "rpc:foo.bar.baz?aud=did:web:example.com", "rpc:foo.bar.baz?aud=did:web:example.com:path%23svc",
            "rpc:foo.bar.baz?aud=did:web:example.com%253A8080%23svc", "rpc:foo.bar.baz?aud=did:web:example.com%23a%23b",
            "rpc:foo.bar.baz?aud=did:web:example.com%23"})
    void rejects(String scope) {
        assertThat(RpcPermission.parse(scope)).isNull();
    }

    @Test
    void acceptsPlcAndLocalhostAudiences() {
        assertThat(RpcPermission.parse("rpc:a.b.c?aud=did:plc:abcdefghijklmnopqrstuvwx%23svc")).isNotNull();
        assertThat(RpcPermission.parse("rpc:a.b.c?aud=did:web:localhost%253A2583%23svc")).isNotNull();
    }

    @Test
    void namesTheScopeACallNeeds() {
        assertThat(RpcPermission.scopeNeededFor("com.example.service", SVC)).isEqualTo("rpc:com.example.service?aud=did:web:example.com%23service_id");
        assertThat(RpcPermission.scopeNeededFor("com.example.method1", "*")).isEqualTo("rpc:com.example.method1?aud=*");
    }

    @Test
    void matches() {
        var exact = RpcPermission.parse("rpc:com.example.service?aud=did:web:example.com%23service_id");
        assertThat(exact.matches("com.example.service", SVC)).isTrue();
        assertThat(exact.matches("com.example.OtherService", SVC)).isFalse();
        assertThat(exact.matches("com.example.service", "did:example:456#service_id")).isFalse();
        assertThat(exact.matches("com.example.service", "did:web:example.com")).isFalse();

        assertThat(RpcPermission.parse("rpc:com.example.method1?aud=*").matches("com.example.method1", SVC)).isTrue();
        var anyMethod = RpcPermission.parse("rpc:*?aud=did:web:example.com%23service_id");
        assertThat(anyMethod.matches("com.example.anyMethod", SVC)).isTrue();
        assertThat(anyMethod.matches("com.example.anyMethod", "did:web:bar.com#service_id")).isFalse();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "rpc:com.example.service?aud=did:web:example.com%23service_id|rpc:com.example.service?aud=did:web:example.com%23service_id",
            "rpc:com.example.service?aud=did:web:example.com#service_id|rpc:com.example.service?aud=did:web:example.com%23service_id",
            "rpc?lxm=com.example.method1&lxm=com.example.method2&aud=*|rpc?lxm=com.example.method1&lxm=com.example.method2&aud=*",
            "rpc?lxm=com.example.method1&lxm=com.example.method2&lxm=*&aud=did:web:example.com%23service_id|rpc:*?aud=did:web:example.com%23service_id",
            "rpc?aud=did:web:example.com%23foo&lxm=com.example.service|rpc:com.example.service?aud=did:web:example.com%23foo",
            "rpc?lxm=com.example.method1&aud=did:web:example.com#foo|rpc:com.example.method1?aud=did:web:example.com%23foo",
            "rpc?lxm=com.example.method1&aud=did:web:example.com%23bar|rpc:com.example.method1?aud=did:web:example.com%23bar",
            "rpc:com.example.method1?&aud=*|rpc:com.example.method1?aud=*",
            "rpc?lxm=com.example.b&lxm=com.example.a&lxm=com.example.b&aud=*|rpc?lxm=com.example.a&lxm=com.example.b&aud=*",
    })
    void normalizes(String input, String expected) {
        assertThat(RpcPermission.parse(input).scope()).isEqualTo(expected);
    }
}
