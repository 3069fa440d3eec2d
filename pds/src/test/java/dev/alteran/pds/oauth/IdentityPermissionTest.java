package dev.alteran.pds.oauth;

import static dev.alteran.pds.oauth.IdentityPermission.Attr.ANY;
import static dev.alteran.pds.oauth.IdentityPermission.Attr.HANDLE;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdentityPermissionTest {
    @Test
    void parsesAndMatches() {
        var handle = IdentityPermission.parse("identity:handle");
        assertThat(handle.attr()).isEqualTo("handle");
        assertThat(handle.matches(HANDLE)).isTrue();
        assertThat(handle.matches(ANY)).isFalse();
        var any = IdentityPermission.parse("identity:*");
        assertThat(any.matches(ANY)).isTrue();
        assertThat(any.matches(HANDLE)).isTrue();
        assertThat(IdentityPermission.parse("identity?attr=handle").scope()).isEqualTo("identity:handle");
    }

    @ParameterizedTest
    @ValueSource(strings = {"identity:*?action=*", "identity:*?action=manage", "identity:*?action=submit", "invalid",
            "identity:invalid", "identity:handle?action=invalid", "identity?attribute=invalid&action=invalid", "identity"})
    void rejects(String scope) {
        assertThat(IdentityPermission.parse(scope)).isNull();
    }

    @Test
    void namesTheScopeNeeded() {
        assertThat(IdentityPermission.scopeNeededFor(HANDLE)).isEqualTo("identity:handle");
        assertThat(IdentityPermission.scopeNeededFor(ANY)).isEqualTo("identity:*");
        assertThat(new IdentityPermission("*").scope()).isEqualTo("identity:*");
    }
}
