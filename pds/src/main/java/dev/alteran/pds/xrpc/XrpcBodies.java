package dev.alteran.pds.xrpc;

import com.fasterxml.jackson.databind.JsonNode;
import dev.alteran.atproto.lexicon.LexType.LexBody;
import dev.alteran.atproto.lexicon.LexType.LexProcedure;
import dev.alteran.atproto.lexicon.LexType.LexQuery;
import dev.alteran.atproto.lexicon.Lexicons;
import dev.alteran.atproto.lexicon.ValidationResult;
import dev.alteran.pds.wire.Json;
import dev.alteran.pds.wire.XrpcException;

/**
 * Checks request and response bodies against their method's Lexicon, as the reference XRPC server
 * does: a JSON input that does not match is a 400 InvalidRequest naming the first problem
 * ({@code Input must have the property "repo"}) before the handler sees it. Outputs are checked
 * only when asked for (the test suite runs with {@value #VALIDATE_OUTPUT_PROPERTY}=true): a handler
 * whose output breaks its schema is our bug, found by the tests rather than by clients.
 */
public final class XrpcBodies {
    /** System property that turns output validation on (tests). */
    public static final String VALIDATE_OUTPUT_PROPERTY = "alteran.xrpc.validateOutput";
    private static final String JSON = "application/json";

    private final Lexicons lexicons;
    private final boolean checkOutputs;

    public XrpcBodies(Lexicons lexicons, boolean checkOutputs) {
        this.lexicons = lexicons;
        this.checkOutputs = checkOutputs;
    }

    /** With output validation as the system property says. */
    public static XrpcBodies fromSystemProperty(Lexicons lexicons) {
        return new XrpcBodies(lexicons, Boolean.getBoolean(VALIDATE_OUTPUT_PROPERTY));
    }

    /**
     * Reads and checks the JSON input of {@code nsid} when its Lexicon declares one; the handler then
     * gets the same tree from {@link XrpcCall#jsonBody()}. Raw inputs (blobs, CAR files) and methods
     * without input are left to their handlers.
     */
    public void checkInput(String nsid, XrpcCall call) {
        var input = input(nsid);
        if (input == null || !JSON.equals(input.encoding())) return;
        var body = call.jsonBody();
        if (input.schema() != null) throwIfInvalid(lexicons.validate(input.schema(), body, "Input"));
    }

    /** When output validation is on: a JSON output that breaks its Lexicon fails the call (500, logged). */
    public void checkOutput(String nsid, Object output) {
        if (!checkOutputs) return;
        var body = switch (lexicons.getDef(nsid).orElse(null)) {
            case LexQuery q -> q.output();
            case LexProcedure p -> p.output();
            case null, default -> null;
        };
        if (body == null || body.schema() == null || !JSON.equals(body.encoding())) return;
        JsonNode tree = output instanceof JsonNode node ? node : Json.toTree(output);
        var result = lexicons.validate(body.schema(), tree, "Output");
        if (result.status() == ValidationResult.Status.INVALID) {
            throw new IllegalStateException("the output of " + nsid + " breaks its Lexicon: " + result.errors());
        }
    }

    /** Whether {@code nsid} takes a raw body (a blob, a CAR file) rather than JSON. */
    public boolean takesRawInput(String nsid) {
        var input = input(nsid);
        return input != null && !JSON.equals(input.encoding());
    }

    private LexBody input(String nsid) {
        return lexicons.getDef(nsid).orElse(null) instanceof LexProcedure p ? p.input() : null;
    }

    private static void throwIfInvalid(ValidationResult result) {
        if (result.status() == ValidationResult.Status.INVALID) throw XrpcException.invalidRequest(result.errors().getFirst());
    }
}
