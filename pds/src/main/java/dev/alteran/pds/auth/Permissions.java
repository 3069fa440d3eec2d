package dev.alteran.pds.auth;

/**
 * What a verified request may do beyond its auth level: the reference PDS's {@code authorize}
 * checks. Session tokens (the account password's and app passwords') may do all of it
 * ({@link #FULL}; their limits are the auth levels); an OAuth token may do what its scopes grant,
 * and each {@code require...} throws 403 {@code ScopeMissingError} naming the scope it lacks.
 */
public interface Permissions {
    enum RepoAction { CREATE, UPDATE, DELETE }

    enum AccountAttr { EMAIL, REPO, STATUS }

    enum AccountAction { READ, MANAGE }

    enum IdentityAttr { HANDLE, ANY }

    /** A record write of {@code action} in {@code collection}. */
    void requireRepo(String collection, RepoAction action);

    /** A blob upload of MIME type {@code mime}. */
    void requireBlob(String mime);

    /** A call to {@code lxm} ({@code *} for any method) at {@code aud} ({@code did} or {@code did#service}), proxied or by service token. */
    void requireRpc(String lxm, String aud);

    void requireAccount(AccountAttr attr, AccountAction action);

    void requireIdentity(IdentityAttr attr);

    /** Whether the account attribute may be used; getSession leaves the e-mail out without it. */
    boolean allowsAccount(AccountAttr attr, AccountAction action);

    /** Everything: what session tokens carry. */
    Permissions FULL = new Permissions() {
        @Override
        public void requireRepo(String collection, RepoAction action) {}

        @Override
        public void requireBlob(String mime) {}

        @Override
        public void requireRpc(String lxm, String aud) {}

        @Override
        public void requireAccount(AccountAttr attr, AccountAction action) {}

        @Override
        public void requireIdentity(IdentityAttr attr) {}

        @Override
        public boolean allowsAccount(AccountAttr attr, AccountAction action) {
            return true;
        }

        @Override
        public String toString() {
            return "FULL";
        }
    };
}
