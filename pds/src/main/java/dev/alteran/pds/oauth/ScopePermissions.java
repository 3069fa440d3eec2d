package dev.alteran.pds.oauth;

import dev.alteran.pds.auth.Permissions;

/** What an OAuth access token may do: its {@link ScopeSet}, asked in the terms the routes use. */
public record ScopePermissions(ScopeSet scopes) implements Permissions {
    @Override
    public void requireRepo(String collection, RepoAction action) {
        scopes.requireRepo(collection, switch (action) {
            case CREATE -> RepoPermission.Action.CREATE;
            case UPDATE -> RepoPermission.Action.UPDATE;
            case DELETE -> RepoPermission.Action.DELETE;
        });
    }

    @Override
    public void requireBlob(String mime) {
        scopes.requireBlob(mime);
    }

    @Override
    public void requireRpc(String lxm, String aud) {
        scopes.requireRpc(lxm, aud);
    }

    @Override
    public void requireAccount(AccountAttr attr, AccountAction action) {
        scopes.requireAccount(attr(attr), action(action));
    }

    @Override
    public boolean allowsAccount(AccountAttr attr, AccountAction action) {
        return scopes.allowsAccount(attr(attr), action(action));
    }

    @Override
    public void requireIdentity(IdentityAttr attr) {
        scopes.requireIdentity(attr == IdentityAttr.HANDLE ? IdentityPermission.Attr.HANDLE : IdentityPermission.Attr.ANY);
    }

    private static AccountPermission.Attr attr(AccountAttr attr) {
        return switch (attr) {
            case EMAIL -> AccountPermission.Attr.EMAIL;
            case REPO -> AccountPermission.Attr.REPO;
            case STATUS -> AccountPermission.Attr.STATUS;
        };
    }

    private static AccountPermission.Action action(AccountAction action) {
        return action == AccountAction.MANAGE ? AccountPermission.Action.MANAGE : AccountPermission.Action.READ;
    }
}
