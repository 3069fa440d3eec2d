package dev.alteran.pds.oauth;

import static dev.alteran.pds.oauth.RepoPermission.Action.CREATE;
import static dev.alteran.pds.oauth.RepoPermission.Action.DELETE;
import static dev.alteran.pds.oauth.RepoPermission.Action.UPDATE;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class RepoPermissionTest {
    @Test
    void parsesPositionalAndNamedForms() {
        var p = RepoPermission.parse("repo:com.example.foo");
        assertThat(p.collection()).containsExactly("com.example.foo");
        assertThat(p.action()).containsExactly("create", "update", "delete");

        var some = RepoPermission.parse("repo:com.example.foo?action=create&action=update");
        assertThat(some.action()).containsExactly("create", "update");
        assertThat(some.matches("com.example.foo", CREATE)).isTrue();
        assertThat(some.matches("com.example.foo", UPDATE)).isTrue();
        assertThat(some.matches("com.example.foo", DELETE)).isFalse();
        assertThat(some.matches("com.example.bar", CREATE)).isFalse();
    }

    @Test
    void wildcardCollection() {
        var createAny = RepoPermission.parse("repo:*?action=create");
        assertThat(createAny.collection()).containsExactly("*");
        assertThat(createAny.matches("any.collection.here", CREATE)).isTrue();
        assertThat(createAny.matches("any.collection.here", UPDATE)).isFalse();

        var any = RepoPermission.parse("repo:*");
        for (var a : RepoPermission.Action.values()) assertThat(any.matches("any.collection.here", a)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"repo:foo bar", "repo:.foo", "repo:bar.", "repo:com.example.foo?action=invalid", "invalid", "scope",
            "repo:*?action=*", "repo:invalid", "repo?collection=invalid&action=invalid", "repo", "repo:",
            "repo:com.example.foo?collection=com.example.bar", "repo:com.example.foo?unknown=1", "repo?action=create",
            "repo:com.example.foo?action=", "repo:%zz"})
    void rejects(String scope) {
        assertThat(RepoPermission.parse(scope)).isNull();
    }

    @Test
    void namesTheScopeAWriteNeeds() {
        assertThat(RepoPermission.scopeNeededFor("com.example.foo", CREATE)).isEqualTo("repo:com.example.foo?action=create");
        assertThat(RepoPermission.scopeNeededFor("*", CREATE)).isEqualTo("repo:*?action=create");
        // the input is not validated: it is only named
        assertThat(RepoPermission.scopeNeededFor("invalid", CREATE)).isEqualTo("repo:invalid?action=create");
    }

    @Test
    void formats() {
        assertThat(new RepoPermission(List.of("com.example.foo"), List.of("create", "update")).scope())
                .isEqualTo("repo:com.example.foo?action=create&action=update");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "repo:com.example.foo|repo:com.example.foo",
            "repo:com.example.foo?action=create|repo:com.example.foo?action=create",
            "repo:com.example.foo?action=create&action=update|repo:com.example.foo?action=create&action=update",
            "repo:*?action=create&action=update&action=delete|repo:*",
            "repo:com.example.foo?action=create&action=update&action=delete|repo:com.example.foo",
            "repo:*?action=create|repo:*?action=create",
            "repo:*?action=update|repo:*?action=update",
            "repo?collection=*&action=update|repo:*?action=update",
            "repo?collection=*&collection=com.example.foo&action=update|repo:*?action=update",
            "repo?collection=*|repo:*",
            "repo?collection=*&action=create&action=update&action=delete|repo:*",
            "repo?collection=*&collection=com.example.foo|repo:*",
            "repo?action=create&collection=com.example.foo|repo:com.example.foo?action=create",
            "repo?collection=com.example.foo&action=create&action=update&action=delete|repo:com.example.foo",
            "repo?action=create&collection=com.example.foo&collection=com.example.bar|repo?collection=com.example.bar&collection=com.example.foo&action=create",
            "repo:com.example.foo?action=delete&action=create&action=delete|repo:com.example.foo?action=create&action=delete",
    })
    void normalizes(String input, String expected) {
        assertThat(RepoPermission.parse(input).scope()).isEqualTo(expected);
    }
}
