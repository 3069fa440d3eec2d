package dev.alteran.pds.oauth;

import dev.alteran.pds.wire.XrpcException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The scopes an OAuth token carries (its space-separated {@code scope}), asked what they allow. The
 * granular permissions are parsed once; a scope this version cannot read allows nothing. As in the
 * reference PDS, the transitional scopes stand in for granular ones: {@code transition:generic}
 * allows every record write, every blob and every RPC but {@code chat.bsky.*};
 * {@code transition:chat.bsky} allows {@code chat.bsky.*}; {@code transition:email} allows reading
 * the e-mail. {@link #strict} leaves them out (only granular permissions count).
 *
 * <p>Each {@code require...} throws 403 {@code ScopeMissingError} naming the narrowest scope that
 * would have allowed the request.
 */
public final class ScopeSet {
    public static final String ATPROTO = "atproto";
    public static final String TRANSITION_GENERIC = "transition:generic";
    public static final String TRANSITION_CHAT_BSKY = "transition:chat.bsky";
    public static final String TRANSITION_EMAIL = "transition:email";
    /** The scopes that are names, not parameterized permissions. */
    public static final List<String> STATIC = List.of(ATPROTO, TRANSITION_EMAIL, TRANSITION_GENERIC, TRANSITION_CHAT_BSKY);

    private final Set<String> scopes;
    private final boolean transition;
    private final List<RepoPermission> repo = new ArrayList<>();
    private final List<RpcPermission> rpc = new ArrayList<>();
    private final List<BlobPermission> blob = new ArrayList<>();
    private final List<AccountPermission> account = new ArrayList<>();
    private final List<IdentityPermission> identity = new ArrayList<>();

    private ScopeSet(String scope, boolean transition) {
        var set = new LinkedHashSet<String>();
        if (scope != null && !scope.isEmpty()) set.addAll(Arrays.asList(scope.split(" ")));
        this.scopes = Collections.unmodifiableSet(set);
        this.transition = transition;
        for (var s : set) {
            switch (Permission.parse(s)) {
                case RepoPermission p -> repo.add(p);
                case RpcPermission p -> rpc.add(p);
                case BlobPermission p -> blob.add(p);
                case AccountPermission p -> account.add(p);
                case IdentityPermission p -> identity.add(p);
                case null -> { }
            }
        }
    }

    /** What a token with {@code scope} may do on this PDS (the transitional scopes count). */
    public static ScopeSet of(String scope) {
        return new ScopeSet(scope, true);
    }

    /** Only the granular permissions in {@code scope}. */
    public static ScopeSet strict(String scope) {
        return new ScopeSet(scope, false);
    }

    public Set<String> scopes() {
        return scopes;
    }

    public boolean has(String scope) {
        return scopes.contains(scope);
    }

    private boolean generic() {
        return transition && scopes.contains(TRANSITION_GENERIC);
    }

    public boolean allowsRepo(String collection, RepoPermission.Action action) {
        return generic() || repo.stream().anyMatch(p -> p.matches(collection, action));
    }

    public boolean allowsBlob(String mime) {
        return generic() || blob.stream().anyMatch(p -> p.matches(mime));
    }

    /** {@code lxm} is a method NSID or {@code *} (any method, as for a service token without lxm). */
    public boolean allowsRpc(String lxm, String aud) {
        if (transition) {
            boolean chat = lxm.startsWith("chat.bsky.");
            if (scopes.contains(TRANSITION_GENERIC) && !chat) return true;
            if (scopes.contains(TRANSITION_CHAT_BSKY) && chat) return true;
        }
        return rpc.stream().anyMatch(p -> p.matches(lxm, aud));
    }

    public boolean allowsAccount(AccountPermission.Attr attr, AccountPermission.Action action) {
        if (transition && attr == AccountPermission.Attr.EMAIL && action == AccountPermission.Action.READ
                && scopes.contains(TRANSITION_EMAIL)) {
            return true;
        }
        return account.stream().anyMatch(p -> p.matches(attr, action));
    }

    public boolean allowsIdentity(IdentityPermission.Attr attr) {
        return identity.stream().anyMatch(p -> p.matches(attr));
    }

    public void requireRepo(String collection, RepoPermission.Action action) {
        if (!allowsRepo(collection, action)) throw missing(RepoPermission.scopeNeededFor(collection, action));
    }

    public void requireBlob(String mime) {
        if (!allowsBlob(mime)) throw missing(BlobPermission.scopeNeededFor(mime));
    }

    public void requireRpc(String lxm, String aud) {
        if (!allowsRpc(lxm, aud)) throw missing(RpcPermission.scopeNeededFor(lxm, aud));
    }

    public void requireAccount(AccountPermission.Attr attr, AccountPermission.Action action) {
        if (!allowsAccount(attr, action)) throw missing(AccountPermission.scopeNeededFor(attr, action));
    }

    public void requireIdentity(IdentityPermission.Attr attr) {
        if (!allowsIdentity(attr)) throw missing(IdentityPermission.scopeNeededFor(attr));
    }

    /** The error for a request that needs {@code scope}: 403 ScopeMissingError, as the reference PDS. */
    public static XrpcException missing(String scope) {
        return new XrpcException(403, "ScopeMissingError", "Missing required scope \"" + scope + "\"");
    }

    /** True if this version understands {@code value} as a scope (a static one or a well-formed permission or include). */
    public static boolean isKnown(String value) {
        return STATIC.contains(value) || Permission.parse(value) != null || IncludeScope.parse(value) != null;
    }

    /** {@code value} in canonical form, or null if it is not a scope this version understands. */
    public static String normalizeValue(String value) {
        if (STATIC.contains(value)) return value;
        var p = Permission.parse(value);
        if (p != null) return p.scope();
        var include = IncludeScope.parse(value);
        return include == null ? null : include.scope();
    }

    /** Each value of a space-separated scope in canonical form, unknown ones dropped, sorted. */
    public static String normalize(String scope) {
        var out = new ArrayList<String>();
        for (var v : scope.split(" ")) {
            var n = normalizeValue(v);
            if (n != null) out.add(n);
        }
        Collections.sort(out);
        return String.join(" ", out);
    }

    @Override
    public String toString() {
        return String.join(" ", scopes);
    }
}
