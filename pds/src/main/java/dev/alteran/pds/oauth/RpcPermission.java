package dev.alteran.pds.oauth;

import dev.alteran.atproto.syntax.Nsid;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code rpc:<lxm>?aud=<did#service>}: service-auth tokens and proxied calls for the listed
 * methods ({@code *} for any) to the audience ({@code *} for any, but never both wildcards).
 */
public record RpcPermission(String aud, List<String> lxm) implements Permission {
    private static final ScopeParser PARSER = new ScopeParser("rpc", "lxm",
            ScopeParser.Param.list("lxm", true, null, RpcPermission::isLxm, values ->
                    values.size() > 1 && values.contains("*") ? List.of("*") : List.copyOf(new TreeSet<>(values))),
            ScopeParser.Param.one("aud", true, v -> "*".equals(v) || AtprotoDidRef.isValid(v)));

    public RpcPermission {
        lxm = List.copyOf(lxm);
    }

    static boolean isLxm(Object value) {
        return "*".equals(value) || (value instanceof String s && Nsid.isValid(s));
    }

    public static RpcPermission parse(String scope) {
        if (!ScopeStringSyntax.isFor(scope, "rpc")) return null;
        var syntax = ScopeStringSyntax.parse(scope);
        return syntax == null ? null : from(syntax);
    }

    @SuppressWarnings("unchecked")
    static RpcPermission from(ScopeSyntax syntax) {
        var values = PARSER.parse(syntax);
        if (values == null) return null;
        var aud = (String) values.get("aud");
        var lxm = (List<String>) values.get("lxm");
        if (aud.equals("*") && lxm.contains("*")) return null; // any method at any service is not a permission
        return new RpcPermission(aud, lxm);
    }

    public boolean matches(String lxm, String aud) {
        return (this.aud.equals("*") || this.aud.equals(aud)) && (this.lxm.contains("*") || this.lxm.contains(lxm));
    }

    public static String scopeNeededFor(String lxm, String aud) {
        return PARSER.format(Map.of("aud", aud, "lxm", List.of(lxm)));
    }

    @Override
    public String scope() {
        return PARSER.format(Map.of("aud", aud, "lxm", lxm));
    }

    @Override
    public String toString() {
        return scope();
    }
}
