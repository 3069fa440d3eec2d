package dev.alteran.pds.xrpc;

/**
 * What a route asks of its caller, declared where the route is registered and checked by
 * {@link XrpcServlet} before the handler runs (as the reference PDS's per-method auth verifiers).
 */
public enum AuthLevel {
    /** Anyone. A handler may still ask who is calling ({@link XrpcCall#auth()}), e.g. to serve a deactivated repo to its owner. */
    PUBLIC,
    /**
     * An access token: the account password's session, an app password's, or an OAuth token (whose
     * scopes the handler checks, {@link dev.alteran.pds.auth.Principal#permissions()}, as the
     * reference's {@code authorize}).
     */
    ACCESS,
    /**
     * The access token of a session (the account password's or an app password's): OAuth tokens are
     * refused with 403, as the reference refuses them on app-password management.
     */
    SESSION,
    /**
     * An access token, or a service token the account signed for this very method (the reference's
     * user service auth: the Bluesky app's video service uploads with one).
     */
    ACCESS_OR_SERVICE,
    /**
     * A service token the account signed for this very method, or no credentials at all (the reference's
     * optional user service auth); sessions and other credentials are refused. Without credentials the
     * handler runs with no caller ({@link XrpcCall#auth()} is null) and refuses as the reference does:
     * an account moving in proves with the token that it controls the DID (createAccount with an
     * existing DID), and the reference names that DID when the token is missing.
     */
    OPTIONAL_SERVICE,
    /**
     * An access token of the account password's session, or an OAuth token whose scopes the handler
     * checks: app passwords are refused (account-level operations: PLC, importRepo).
     */
    FULL_ACCESS,
    /**
     * The account password's session only: app passwords and OAuth tokens are refused (creating app
     * passwords, activating and deactivating the account).
     */
    FULL_SESSION,
    /** A bearer refresh token (refreshSession, deleteSession): the session operation verifies and rotates it. */
    REFRESH
}
