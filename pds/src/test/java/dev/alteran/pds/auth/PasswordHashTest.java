package dev.alteran.pds.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PasswordHashTest {
    /** The argon2id vector of the reference implementation's tests (phc-winner-argon2, test.c). */
    static final String ARGON2_REFERENCE = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";
    /** From libargon2 (the reference C library): "pässword", 4 lanes, a UTF-8 password. */
    static final String ARGON2_LANES = "$argon2id$v=19$m=1024,t=3,p=4$MDEyMzQ1Njc4OWFiY2RlZg$/rSFH8JRMEIdc/ZYF5OLJYa6M3kTEkfztJ5Zu5e8dUo";
    /** From OpenSSL's scrypt (Python hashlib): "correct horse", N = 2^10, r = 8, p = 1. */
    static final String SCRYPT = "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$6g3umF+uVrJsObaTZhIbbTlgrvOEFcCItdwSjtPF67M";

    @Test
    void argon2idMatchesTheReferenceImplementation() {
        var h = PasswordHash.parse(ARGON2_REFERENCE);
        assertThat(h).isInstanceOf(PasswordHash.Argon2id.class);
        assertThat(h.matches("password")).isTrue();
        assertThat(h.matches("Password")).isFalse();
        assertThat(h.matches("password ")).isFalse();
        assertThat(h.encoded()).isEqualTo(ARGON2_REFERENCE);
    }

    @Test
    void argon2idWithLanesAndUtf8() {
        var h = PasswordHash.parse(ARGON2_LANES);
        assertThat(h.matches("pässword")).isTrue();
        assertThat(h.matches("passsword")).isFalse();
    }

    @Test
    void scryptMatchesOpenSsl() {
        var h = PasswordHash.parse(SCRYPT);
        assertThat(h).isInstanceOf(PasswordHash.Scrypt.class);
        assertThat(h.matches("correct horse")).isTrue();
        assertThat(h.matches("correct horse!")).isFalse();
        assertThat(h.encoded()).isEqualTo(SCRYPT);
    }

    @Test
    void scryptRfc7914Vector() {
        // RFC 7914 section 12, second vector (its 4-byte salt is below our parsing minimum, so derive directly)
        var out = org.bouncycastle.crypto.generators.SCrypt.generate("password".getBytes(StandardCharsets.UTF_8),
                "NaCl".getBytes(StandardCharsets.UTF_8), 1024, 8, 16, 64);
        assertThat(java.util.HexFormat.of().formatHex(out)).startsWith("fdbabe1c9d3472007856e7190d01e9fe");
    }

    @Test
    void paddedBase64IsAccepted() {
        var padded = SCRYPT + "=";
        assertThat(PasswordHash.parse(padded).matches("correct horse")).isTrue();
    }

    @Test
    void newHashesVerifyAndAreSalted() {
        var a = PasswordHash.Argon2id.create("hunter2", 1024, 1, 1);
        var b = PasswordHash.Argon2id.create("hunter2", 1024, 1, 1);
        assertThat(a.encoded()).startsWith("$argon2id$v=19$m=1024,t=1,p=1$").isNotEqualTo(b.encoded());
        var parsed = PasswordHash.parse(a.encoded());
        assertThat(parsed.matches("hunter2")).isTrue();
        assertThat(parsed.matches("hunter3")).isFalse();
    }

    @Test
    void defaultArgon2idParameters() {
        var h = PasswordHash.argon2id("pw");
        assertThat(h.encoded()).startsWith("$argon2id$v=19$m=65536,t=3,p=4$");
        assertThat(h.salt()).hasSize(16);
        assertThat(h.hash()).hasSize(32);
    }

    @Test
    void recognisesHashes() {
        assertThat(PasswordHash.isHash(ARGON2_REFERENCE)).isTrue();
        assertThat(PasswordHash.isHash(SCRYPT)).isTrue();
        assertThat(PasswordHash.isHash("plain password")).isFalse();
        assertThat(PasswordHash.isHash("$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG")).isTrue();
        assertThat(PasswordHash.isHash("$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW")).isTrue();
        assertThat(PasswordHash.isHash("$ dollars $")).isFalse();
        assertThat(PasswordHash.isHash("$$")).isFalse();
        assertThat(PasswordHash.isHash(null)).isFalse();
    }

    @Test
    void malformedHashesAreRefusedWithAReason() {
        assertThatThrownBy(() -> PasswordHash.parse("$argon2id$v=16$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"))
                .hasMessageContaining("v=19");
        assertThatThrownBy(() -> PasswordHash.parse("$argon2id$v=19$t=2,m=65536,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"))
                .hasMessageContaining("m,t,p");
        assertThatThrownBy(() -> PasswordHash.parse("$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ"))
                .hasMessageContaining("expected");
        assertThatThrownBy(() -> PasswordHash.parse("$argon2id$v=19$m=65536,t=2,p=1$!!!$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"))
                .hasMessageContaining("salt");
        assertThatThrownBy(() -> PasswordHash.parse("$argon2id$v=19$m=99999999,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"))
                .hasMessageContaining("m must be");
        assertThatThrownBy(() -> PasswordHash.parse("$scrypt$ln=30,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$6g3umF+uVrJsObaTZhIbbTlgrvOEFcCItdwSjtPF67M"))
                .hasMessageContaining("ln must be");
        assertThatThrownBy(() -> PasswordHash.parse("$bcrypt$whatever")).hasMessageContaining("unsupported");
        assertThatThrownBy(() -> PasswordHash.parse("$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"))
                .hasMessageContaining("unsupported hash '$argon2i$'");
        assertThatThrownBy(() -> PasswordHash.parse("argon2id")).hasMessageContaining("start with");
    }
}
