package dev.alteran.pds.blob;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MimeTypesTest {
    /** The start of a file: hex, then ASCII after a '|' (padded so every signature has room). */
    static byte[] head(String hex, String ascii) {
        var h = HexFormat.of().parseHex(hex);
        var a = ascii.getBytes(StandardCharsets.ISO_8859_1);
        var out = new byte[64];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(a, 0, out, h.length, a.length);
        return out;
    }

    static byte[] ftyp(String major, String... compatible) {
        int size = 16 + 4 * compatible.length;
        var sb = new StringBuilder("ftyp").append(major).append("\0\0\0\0");
        for (var c : compatible) sb.append(c);
        return head(String.format("%08x", size), sb.toString());
    }

    @ParameterizedTest
    @CsvSource({
            "89504e470d0a1a0a, '', image/png",
            "ffd8ffe0, JFIF, image/jpeg",
            "ffd8ffe1, Exif, image/jpeg",
            "'', GIF89a, image/gif",
            "'', GIF87a, image/gif",
            "'', RIFF\u0001\u0002\u0003\u0004WEBPVP8 , image/webp",
            "1a45dfa3, \u0093B\u0082\u0084webm, video/webm",
            "1a45dfa3, \u0093B\u0082\u0088matroska, video/x-matroska",
            "000001ba, '', video/mpeg",
            "000001b3, '', video/mpeg",
            "00000008, wide, video/quicktime",
            "0000abcd, mdat, video/quicktime",
    })
    void detectsSignatures(String hex, String ascii, String type) {
        assertThat(MimeTypes.detect(head(hex, ascii))).isEqualTo(type);
    }

    @Test
    void tellsIsoBaseMediaFilesApartByBrand() {
        assertThat(MimeTypes.detect(ftyp("isom", "isom", "iso2", "avc1", "mp41"))).isEqualTo("video/mp4");
        assertThat(MimeTypes.detect(ftyp("mp42", "mp42", "isom"))).isEqualTo("video/mp4");
        assertThat(MimeTypes.detect(ftyp("qt  ", "qt  "))).isEqualTo("video/quicktime");
        assertThat(MimeTypes.detect(ftyp("avif", "mif1", "miaf"))).isEqualTo("image/avif");
        assertThat(MimeTypes.detect(ftyp("mif1", "mif1", "avif"))).isEqualTo("image/avif");
        assertThat(MimeTypes.detect(ftyp("heic", "mif1", "heic"))).isEqualTo("image/heic");
        assertThat(MimeTypes.detect(ftyp("mif1", "mif1", "heic"))).isEqualTo("image/heic");
        assertThat(MimeTypes.detect(ftyp("mif1", "mif1"))).isEqualTo("image/heif");
    }

    @Test
    void executablesScriptsAndShortInputsAreUnknown() {
        assertThat(MimeTypes.detect(head("7f454c46", "\u0002\u0001\u0001"))).isNull(); // ELF
        assertThat(MimeTypes.detect(head("4d5a9000", ""))).isNull(); // PE
        assertThat(MimeTypes.detect("<html><script>alert(1)</script>".getBytes(StandardCharsets.US_ASCII))).isNull();
        assertThat(MimeTypes.detect(new byte[0])).isNull();
        assertThat(MimeTypes.detect(new byte[] {(byte) 0x89, 'P', 'N'})).isNull();
        assertThat(MimeTypes.detect(new byte[] {(byte) 0xFF, (byte) 0xD8})).isNull();
    }

    @Test
    void declaredTypeIsNormalized() {
        assertThat(MimeTypes.declared("image/PNG; charset=binary")).isEqualTo("image/png");
        assertThat(MimeTypes.declared("image/jpg")).isEqualTo("image/jpeg");
        assertThat(MimeTypes.declared("application/octet-stream")).isNull();
        assertThat(MimeTypes.declared("*/*")).isNull();
        assertThat(MimeTypes.declared(null)).isNull();
        assertThat(MimeTypes.declared("  ")).isNull();
    }

    @Test
    void allowListTakesWildcards() {
        var allowed = List.of("image/png", "video/*");
        assertThat(MimeTypes.isAllowed("image/png", allowed)).isTrue();
        assertThat(MimeTypes.isAllowed("image/jpeg", allowed)).isFalse();
        assertThat(MimeTypes.isAllowed("video/webm", allowed)).isTrue();
        assertThat(MimeTypes.isAllowed("videos/webm", allowed)).isFalse();
        assertThat(MimeTypes.isAllowed("application/x-msdownload", List.of("*/*"))).isTrue();
        assertThat(MimeTypes.isAllowed("nonsense", List.of("*/*"))).isFalse();
        assertThat(MimeTypes.isAllowed(null, allowed)).isFalse();
    }
}
