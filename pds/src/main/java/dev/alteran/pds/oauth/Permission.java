package dev.alteran.pds.oauth;

/**
 * A granular atproto permission parsed from a scope ({@code repo:}, {@code rpc:}, {@code blob:},
 * {@code account:}, {@code identity:}); {@link #scope()} is its canonical scope string.
 */
public sealed interface Permission permits RepoPermission, RpcPermission, BlobPermission, AccountPermission, IdentityPermission {
    String scope();

    /** The permission {@code value} denotes, or null if it is none (or malformed, or a static scope). */
    static Permission parse(String value) {
        Permission p = RepoPermission.parse(value);
        if (p == null) p = RpcPermission.parse(value);
        if (p == null) p = BlobPermission.parse(value);
        if (p == null) p = AccountPermission.parse(value);
        if (p == null) p = IdentityPermission.parse(value);
        return p;
    }
}
