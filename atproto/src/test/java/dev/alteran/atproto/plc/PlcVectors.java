package dev.alteran.atproto.plc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.Keypair;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** plc/vectors.json, written by e2e/tools/plc-vectors.mjs with the reference library. */
final class PlcVectors {
    static final JsonNode ROOT = load();

    private PlcVectors() {}

    private static JsonNode load() {
        try (var in = PlcVectors.class.getResourceAsStream("/plc/vectors.json")) {
            if (in == null) throw new IllegalStateException("missing test resource plc/vectors.json");
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Keypair key(String name) {
        var k = ROOT.get("keys").get(name);
        return Keypair.parsePrivateKey(Curve.valueOf(k.get("curve").asText()), k.get("privateKeyHex").asText());
    }

    static String didKey(String name) {
        return ROOT.get("keys").get(name).get("didKey").asText();
    }

    static JsonNode log(String name) {
        for (var log : ROOT.get("logs")) if (log.get("name").asText().equals(name)) return log;
        throw new IllegalArgumentException("no log " + name);
    }

    /** The signed operations of a log, parsed by our code. */
    static List<PlcOp> ops(String logName) {
        var ops = new ArrayList<PlcOp>();
        for (var op : log(logName).get("ops")) ops.add(PlcJson.parseOp(op.get("signed")));
        return ops;
    }

    static String did(String logName) {
        return log(logName).get("did").asText();
    }
}
