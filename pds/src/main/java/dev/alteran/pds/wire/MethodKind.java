package dev.alteran.pds.wire;

/** The two kinds of XRPC method: a query answers GET (and HEAD), a procedure answers POST. */
public enum MethodKind {
    QUERY,
    PROCEDURE;

    /** The HTTP method this kind is called with. */
    public String httpMethod() {
        return this == QUERY ? "GET" : "POST";
    }

    /** Whether {@code method} may call a method of this kind. */
    public boolean accepts(String method) {
        return method.equals(httpMethod()) || (this == QUERY && method.equals("HEAD"));
    }
}
