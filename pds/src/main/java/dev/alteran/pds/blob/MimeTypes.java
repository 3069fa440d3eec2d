package dev.alteran.pds.blob;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Blob MIME types: what a Content-Type header declares, whether the configuration allows it, and
 * what the first bytes of the content actually are (magic numbers of the common image formats and
 * video containers), so that an executable cannot pass for a PNG.
 */
public final class MimeTypes {
    /** Enough of the head of a file for every signature below, ftyp brand lists included. */
    public static final int HEAD_BYTES = 512;

    /** Types whose content {@link #detect} recognizes; a blob declared as one of these must look like it. */
    static final Set<String> SNIFFABLE = Set.of(
            "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/heic", "image/heif",
            "video/mp4", "video/quicktime", "video/webm", "video/x-matroska", "video/mpeg", "video/mp2t");

    private static final Set<String> AVIF_BRANDS = Set.of("avif", "avis");
    private static final Set<String> HEIC_BRANDS = Set.of("heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs");
    private static final Set<String> HEIF_BRANDS = Set.of("mif1", "msf1");
    private static final Set<String> QUICKTIME_ATOMS = Set.of("moov", "mdat", "wide", "free", "skip", "pnot");

    private MimeTypes() {}

    /**
     * The declared type of a Content-Type header: lower case, parameters dropped, common aliases
     * mapped. Null when there is none or it says nothing ({@code application/octet-stream}, {@code *}{@code /*}).
     */
    public static String declared(String contentType) {
        if (contentType == null) return null;
        int semi = contentType.indexOf(';');
        var type = (semi < 0 ? contentType : contentType.substring(0, semi)).strip().toLowerCase(Locale.ROOT);
        return switch (type) {
            case "", "application/octet-stream", "*/*" -> null;
            case "image/jpg", "image/pjpeg" -> "image/jpeg";
            default -> type;
        };
    }

    /** Whether {@code type} matches an entry of the allow-list: exact, {@code image/*} or {@code *}{@code /*}. */
    public static boolean isAllowed(String type, List<String> allowed) {
        if (type == null) return false;
        int slash = type.indexOf('/');
        if (slash <= 0) return false;
        var family = type.substring(0, slash + 1);
        for (var a : allowed) {
            if (a.equals(type) || a.equals("*/*") || (a.endsWith("/*") && a.startsWith(family) && a.length() == family.length() + 1)) {
                return true;
            }
        }
        return false;
    }

    static boolean sameFamily(String a, String b) {
        return a.substring(0, a.indexOf('/')).equals(b.substring(0, b.indexOf('/')));
    }

    /** The type the content's first bytes show, or null when they match no known signature. */
    public static String detect(byte[] head) {
        int n = head.length;
        if (startsWith(head, 0, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) return "image/png";
        if (startsWith(head, 0, 0xFF, 0xD8, 0xFF)) return "image/jpeg";
        if (ascii(head, 0, "GIF87a") || ascii(head, 0, "GIF89a")) return "image/gif";
        if (ascii(head, 0, "RIFF") && ascii(head, 8, "WEBP")) return "image/webp";
        if (n >= 12 && ascii(head, 4, "ftyp")) return isoBaseMedia(head);
        if (n >= 8 && QUICKTIME_ATOMS.contains(text(head, 4, 4))) return "video/quicktime";
        if (startsWith(head, 0, 0x1A, 0x45, 0xDF, 0xA3)) {
            return contains(head, "matroska") ? "video/x-matroska" : "video/webm";
        }
        if (startsWith(head, 0, 0x00, 0x00, 0x01, 0xBA) || startsWith(head, 0, 0x00, 0x00, 0x01, 0xB3)) return "video/mpeg";
        if (n > 188 && (head[0] & 0xFF) == 0x47 && (head[188] & 0xFF) == 0x47) return "video/mp2t";
        return null;
    }

    /** An ISO base media file (MP4, QuickTime, HEIF, AVIF): told apart by the brands of its ftyp box. */
    private static String isoBaseMedia(byte[] head) {
        var major = text(head, 8, 4);
        if (AVIF_BRANDS.contains(major)) return "image/avif";
        if (HEIC_BRANDS.contains(major)) return "image/heic";
        if (major.equals("qt  ")) return "video/quicktime";
        if (HEIF_BRANDS.contains(major)) {
            long boxSize = ((head[0] & 0xFFL) << 24) | ((head[1] & 0xFF) << 16) | ((head[2] & 0xFF) << 8) | (head[3] & 0xFF);
            int end = (int) Math.min(boxSize, head.length);
            for (int i = 16; i + 4 <= end; i += 4) {
                var brand = text(head, i, 4);
                if (AVIF_BRANDS.contains(brand)) return "image/avif";
                if (HEIC_BRANDS.contains(brand)) return "image/heic";
            }
            return "image/heif";
        }
        return "video/mp4";
    }

    private static boolean startsWith(byte[] head, int off, int... bytes) {
        if (head.length < off + bytes.length) return false;
        for (int i = 0; i < bytes.length; i++) if ((head[off + i] & 0xFF) != bytes[i]) return false;
        return true;
    }

    private static boolean ascii(byte[] head, int off, String s) {
        return head.length >= off + s.length() && text(head, off, s.length()).equals(s);
    }

    private static String text(byte[] head, int off, int len) {
        return new String(head, off, len, StandardCharsets.ISO_8859_1);
    }

    private static boolean contains(byte[] head, String s) {
        return new String(head, StandardCharsets.ISO_8859_1).contains(s);
    }
}
