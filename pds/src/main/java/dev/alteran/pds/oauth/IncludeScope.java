package dev.alteran.pds.oauth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.alteran.atproto.syntax.Nsid;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code include:<nsid>[?aud=<did#service>]}: the permissions of a Lexicon permission set, expanded
 * when the authorization request is made. Only {@code repo} and {@code rpc} permissions are taken,
 * only for collections and methods under the set's own NSID authority (its NSID without the last
 * segment), and an {@code rpc} permission may not name an audience of its own: it either allows any
 * ({@code aud: "*"}) or, with {@code inheritAud: true}, takes the one of the include scope.
 */
public record IncludeScope(String nsid, String aud) {
    private static final ScopeParser PARSER = new ScopeParser("include", "nsid",
            ScopeParser.Param.one("nsid", true, v -> v instanceof String s && Nsid.isValid(s)),
            ScopeParser.Param.one("aud", false, AtprotoDidRef::isValid));

    public static IncludeScope parse(String scope) {
        if (!ScopeStringSyntax.isFor(scope, "include")) return null;
        var syntax = ScopeStringSyntax.parse(scope);
        if (syntax == null) return null;
        var values = PARSER.parse(syntax);
        return values == null ? null : new IncludeScope((String) values.get("nsid"), (String) values.get("aud"));
    }

    public String scope() {
        var values = new java.util.HashMap<String, Object>();
        values.put("nsid", nsid);
        values.put("aud", aud);
        return PARSER.format(values);
    }

    @Override
    public String toString() {
        return scope();
    }

    /**
     * The permissions {@code permissionSet} (a Lexicon {@code permission-set} definition) grants
     * through this scope; anything malformed or outside the rules above is left out.
     */
    public List<Permission> permissions(JsonNode permissionSet) {
        var out = new ArrayList<Permission>();
        var list = permissionSet == null ? null : permissionSet.get("permissions");
        if (list == null || !list.isArray()) return out;
        for (var item : list) {
            if (!(item instanceof ObjectNode permission)) continue;
            var syntax = syntaxOf(permission);
            if (syntax == null) continue;
            Permission p = syntax.prefix().equals("repo") ? RepoPermission.from(syntax) : RpcPermission.from(syntax);
            if (p != null && allowed(p)) out.add(p);
        }
        return out;
    }

    /** The scope strings of {@link #permissions}. */
    public List<String> scopes(JsonNode permissionSet) {
        return permissions(permissionSet).stream().map(Permission::scope).toList();
    }

    private LexiconPermissionSyntax syntaxOf(ObjectNode permission) {
        var resource = permission.path("resource").asText("");
        if (resource.equals("repo")) return new LexiconPermissionSyntax(permission);
        if (!resource.equals("rpc")) return null;
        var ownAud = permission.get("aud");
        if (ownAud != null && !(ownAud.isTextual() && ownAud.textValue().equals("*"))) return null;
        var inherit = permission.get("inheritAud");
        if (inherit != null && inherit.isBoolean() && inherit.booleanValue() && ownAud == null && aud != null) {
            var copy = permission.deepCopy();
            copy.remove("inheritAud");
            copy.put("aud", aud);
            return new LexiconPermissionSyntax(copy);
        }
        return new LexiconPermissionSyntax(permission);
    }

    private boolean allowed(Permission p) {
        return switch (p) {
            case RpcPermission rpc -> rpc.lxm().stream().allMatch(this::isParentAuthorityOf);
            case RepoPermission repo -> repo.collection().stream().allMatch(this::isParentAuthorityOf);
            default -> false;
        };
    }

    /**
     * True if {@code other} is under this set's authority: it starts with the set's NSID up to and
     * including its last dot, and has something after it ({@code *} never is).
     */
    public boolean isParentAuthorityOf(String other) {
        if (other.equals("*")) return false;
        int group = nsid.lastIndexOf('.');
        if (group == -1) throw new IllegalStateException("an NSID without a dot");
        if (group >= other.length() - 1) return false;
        return other.regionMatches(0, nsid, 0, group + 1);
    }
}
