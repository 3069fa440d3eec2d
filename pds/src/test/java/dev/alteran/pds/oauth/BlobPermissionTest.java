package dev.alteran.pds.oauth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BlobPermissionTest {
    @Test
    void parses() {
        assertThat(BlobPermission.parse("blob:image/png").accept()).containsExactly("image/png");
        assertThat(BlobPermission.parse("blob?accept=image/png&accept=image/jpeg").accept()).containsExactly("image/png", "image/jpeg");
    }

    @ParameterizedTest
    @ValueSource(strings = {"blob", "invalid", "scope", "blob:invalid", "blob?accept=invalid-mime", "blob?accept=invalid",
            "blob:*/**", "blob:*/png", "blob:*", "blob:/image", "blob:image//png", "blob:image/png/extra", "blob:image/ png"})
    void rejects(String scope) {
        assertThat(BlobPermission.parse(scope)).isNull();
    }

    @Test
    void namesTheScopeAnUploadNeeds() {
        assertThat(BlobPermission.scopeNeededFor("image/png")).isEqualTo("blob:image/png");
        assertThat(BlobPermission.scopeNeededFor("application/json")).isEqualTo("blob:application/json");
    }

    @Test
    void matchesMimeTypes() {
        assertThat(BlobPermission.parse("blob:image/png").matches("image/png")).isTrue();
        assertThat(BlobPermission.parse("blob:image/png").matches("image/jpeg")).isFalse();
        assertThat(BlobPermission.parse("blob:*/*").matches("image/jpeg")).isTrue();
        assertThat(BlobPermission.parse("blob:*/*").matches("application/json")).isTrue();
        assertThat(BlobPermission.parse("blob:image/*").matches("image/gif")).isTrue();
        assertThat(BlobPermission.parse("blob:image/*").matches("text/html")).isFalse();
        var two = BlobPermission.parse("blob?accept=image/png&accept=image/jpeg");
        assertThat(two.matches("image/png")).isTrue();
        assertThat(two.matches("image/jpeg")).isTrue();
        assertThat(two.matches("image/gif")).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"*/mime", "image", "image//png", "image/ png", "image/", "/mime", "image/*", "*/*"})
    void neverMatchesAnInvalidMimeType(String mime) {
        assertThat(BlobPermission.parse("blob:*/*").matches(mime)).isFalse();
        assertThat(BlobPermission.parse("blob:image/*").matches(mime)).isFalse();
    }

    @Test
    void formats() {
        assertThat(new BlobPermission(List.of("image/png", "image/jpeg")).scope()).isEqualTo("blob?accept=image/jpeg&accept=image/png");
        assertThat(new BlobPermission(List.of("*/*", "image/*")).scope()).isEqualTo("blob:*/*");
        assertThat(new BlobPermission(List.of("*/*", "image/png")).scope()).isEqualTo("blob:*/*");
        assertThat(new BlobPermission(List.of("image/*", "image/png")).scope()).isEqualTo("blob:image/*");
        assertThat(new BlobPermission(List.of("image/png")).scope()).isEqualTo("blob:image/png");
        assertThat(new BlobPermission(List.of("image/*")).scope()).isEqualTo("blob:image/*");
        assertThat(new BlobPermission(List.of("*/*")).scope()).isEqualTo("blob:*/*");
        // as the reference: case is folded after the single-value check, so two spellings stay named
        assertThat(new BlobPermission(List.of("Image/PNG", "image/png")).scope()).isEqualTo("blob?accept=image/png");
    }
}
