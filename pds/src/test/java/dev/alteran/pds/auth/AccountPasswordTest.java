package dev.alteran.pds.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AccountPasswordTest {
    @Test
    void plainTextPassword() {
        var p = AccountPassword.of("correct horse battery staple");
        assertThat(p.isHashed()).isFalse();
        assertThat(p.matches("correct horse battery staple")).isTrue();
        assertThat(p.matches("correct horse battery stapl")).isFalse();
        assertThat(p.matches("correct horse battery staple ")).isFalse();
        assertThat(p.matches("")).isFalse();
        assertThat(p.toString()).doesNotContain("horse");
    }

    @Test
    void hashedPasswords() {
        var argon = AccountPassword.of(PasswordHashTest.ARGON2_REFERENCE);
        assertThat(argon.isHashed()).isTrue();
        assertThat(argon.matches("password")).isTrue();
        assertThat(argon.matches(PasswordHashTest.ARGON2_REFERENCE)).isFalse(); // the hash itself is not the password
        var scrypt = AccountPassword.of(PasswordHashTest.SCRYPT);
        assertThat(scrypt.matches("correct horse")).isTrue();
        assertThat(scrypt.matches("wrong")).isFalse();
    }

    @Test
    void brokenHashIsAStartupProblem() {
        var broken = "$argon2id$v=19$m=65536,t=2$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";
        assertThat(AccountPassword.problem(broken)).startsWith("USER_PASSWORD:").contains("not a valid one");
        assertThat(AccountPassword.problem("plain")).isNull();
        assertThat(AccountPassword.problem("$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW")).contains("unsupported");
        assertThat(AccountPassword.problem(PasswordHashTest.SCRYPT)).isNull();
        assertThatThrownBy(() -> AccountPassword.of(broken)).isInstanceOf(IllegalArgumentException.class);
    }
}
