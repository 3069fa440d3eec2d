package dev.alteran.pds.oauth;

import java.util.List;
import java.util.Map;

/** {@code identity:handle} (handle updates) or {@code identity:*} (also DID document / PLC operations). */
public record IdentityPermission(String attr) implements Permission {
    public enum Attr {
        HANDLE("handle"), ANY("*");

        private final String value;

        Attr(String value) {
            this.value = value;
        }

        public String value() {
            return value;
        }
    }

    private static final ScopeParser PARSER = new ScopeParser("identity", "attr",
            ScopeParser.Param.one("attr", true, ScopeParser.oneOf(List.of("handle", "*"))));

    public static IdentityPermission parse(String scope) {
        if (!ScopeStringSyntax.isFor(scope, "identity")) return null;
        var syntax = ScopeStringSyntax.parse(scope);
        return syntax == null ? null : from(syntax);
    }

    static IdentityPermission from(ScopeSyntax syntax) {
        var values = PARSER.parse(syntax);
        return values == null ? null : new IdentityPermission((String) values.get("attr"));
    }

    public boolean matches(Attr attr) {
        return this.attr.equals("*") || this.attr.equals(attr.value());
    }

    public static String scopeNeededFor(Attr attr) {
        return PARSER.format(Map.of("attr", attr.value()));
    }

    @Override
    public String scope() {
        return PARSER.format(Map.of("attr", attr));
    }

    @Override
    public String toString() {
        return scope();
    }
}
