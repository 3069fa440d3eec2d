package dev.alteran.pds.auth;

/** Who a verified request speaks for: always our one account, with the scope its token carries. */
public record Principal(String did, Scope scope) {
    /** App-password sessions may not manage app passwords or delete the account. */
    public boolean isAppPassword() {
        return scope == Scope.APP_PASS || scope == Scope.APP_PASS_PRIVILEGED;
    }
}
