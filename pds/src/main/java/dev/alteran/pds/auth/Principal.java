package dev.alteran.pds.auth;

/**
 * Who a verified request speaks for: always our one account, with the scope its token carries and
 * what that token may do ({@link Permissions#FULL} for session and service tokens).
 */
public record Principal(String did, Scope scope, Permissions permissions) {
    public Principal(String did, Scope scope) {
        this(did, scope, Permissions.FULL);
    }

    /** App-password sessions may not manage app passwords or delete the account. */
    public boolean isAppPassword() {
        return scope == Scope.APP_PASS || scope == Scope.APP_PASS_PRIVILEGED;
    }

    /** An OAuth access token (a third-party app the owner signed in to): its scopes decide. */
    public boolean isOAuth() {
        return scope == Scope.OAUTH;
    }
}
