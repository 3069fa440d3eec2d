package dev.alteran.pds.auth;

/** The {@code scope} claim of our session JWTs, as the reference PDS issues them. */
public enum Scope {
    ACCESS("com.atproto.access"),
    APP_PASS("com.atproto.appPass"),
    APP_PASS_PRIVILEGED("com.atproto.appPassPrivileged"),
    REFRESH("com.atproto.refresh"),
    /** A service token the account signed for one method (inbound user service auth): no session, no claim of ours. */
    SERVICE(null),
    /** An OAuth access token (DPoP-bound): what it may do is in its {@link Principal#permissions()}, from its OAuth scopes. */
    OAUTH(null);

    private final String claim;

    Scope(String claim) {
        this.claim = claim;
    }

    public String claim() {
        return claim;
    }

    public static Scope fromClaim(String claim) {
        for (var s : values()) if (s.claim != null && s.claim.equals(claim)) return s;
        return null;
    }
}
