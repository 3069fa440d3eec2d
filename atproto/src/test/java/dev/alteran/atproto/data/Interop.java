package dev.alteran.atproto.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Loads the official interop vectors copied under src/test/resources/interop. */
final class Interop {
  private Interop() {}

  static String text(String path) {
    try (var in = Interop.class.getResourceAsStream("/interop/" + path)) {
      if (in == null) throw new IllegalStateException("missing test resource " + path);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode json(String path) {
    try {
      return new ObjectMapper().readTree(text(path));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Non-empty, non-comment lines of a syntax vector file, kept verbatim (whitespace matters). */
  static List<String> lines(String path) {
    return text(path).lines().filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
  }

  static byte[] hex(String s) {
    return java.util.HexFormat.of().parseHex(s.replace(" ", ""));
  }
}
