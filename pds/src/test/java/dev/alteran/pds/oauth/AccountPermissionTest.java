package dev.alteran.pds.oauth;

import static dev.alteran.pds.oauth.AccountPermission.Action.MANAGE;
import static dev.alteran.pds.oauth.AccountPermission.Action.READ;
import static dev.alteran.pds.oauth.AccountPermission.Attr.EMAIL;
import static dev.alteran.pds.oauth.AccountPermission.Attr.REPO;
import static dev.alteran.pds.oauth.AccountPermission.Attr.STATUS;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AccountPermissionTest {
    @Test
    void parses() {
        var email = AccountPermission.parse("account:email?action=read");
        assertThat(email.attr()).isEqualTo("email");
        assertThat(email.action()).containsExactly("read");
        assertThat(AccountPermission.parse("account:repo?action=manage").action()).containsExactly("manage");
        assertThat(AccountPermission.parse("account:status").action()).containsExactly("read");
    }

    @ParameterizedTest
    @ValueSource(strings = {"account:invalid", "account:email?action=invalid", "invalid:email", "account", "", "account:",
            "account:email?attr=repo", "account?action=read"})
    void rejects(String scope) {
        assertThat(AccountPermission.parse(scope)).isNull();
    }

    @Test
    void namesTheScopeNeeded() {
        assertThat(AccountPermission.scopeNeededFor(EMAIL, READ)).isEqualTo("account:email");
        assertThat(AccountPermission.scopeNeededFor(REPO, READ)).isEqualTo("account:repo");
        assertThat(AccountPermission.scopeNeededFor(STATUS, READ)).isEqualTo("account:status");
        assertThat(AccountPermission.scopeNeededFor(EMAIL, MANAGE)).isEqualTo("account:email?action=manage");
        assertThat(AccountPermission.scopeNeededFor(REPO, MANAGE)).isEqualTo("account:repo?action=manage");
        assertThat(AccountPermission.scopeNeededFor(STATUS, MANAGE)).isEqualTo("account:status?action=manage");
    }

    @Test
    void matches() {
        var read = AccountPermission.parse("account:email?action=read");
        assertThat(read.matches(EMAIL, READ)).isTrue();
        assertThat(read.matches(EMAIL, MANAGE)).isFalse();
        assertThat(read.matches(REPO, READ)).isFalse();
        assertThat(AccountPermission.parse("account:email").matches(EMAIL, MANAGE)).isFalse();
        var manage = AccountPermission.parse("account:email?action=manage");
        assertThat(manage.matches(EMAIL, READ)).isTrue(); // manage includes read
        assertThat(manage.matches(EMAIL, MANAGE)).isTrue();
        assertThat(AccountPermission.parse("account:repo?action=manage").matches(REPO, MANAGE)).isTrue();
        assertThat(AccountPermission.parse("account:status?action=read").matches(STATUS, READ)).isTrue();
    }

    @Test
    void formats() {
        assertThat(new AccountPermission("email", List.of("manage")).scope()).isEqualTo("account:email?action=manage");
        assertThat(new AccountPermission("repo", List.of("read")).scope()).isEqualTo("account:repo");
        for (var s : List.of("account:email", "account:email?action=manage", "account:repo", "account:repo?action=manage",
                "account:status", "account:status?action=manage")) {
            assertThat(AccountPermission.parse(s).scope()).isEqualTo(s);
        }
        assertThat(AccountPermission.parse("account?attr=email&action=read").scope()).isEqualTo("account:email");
    }
}
