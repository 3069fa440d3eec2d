package dev.alteran.pds.oauth;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code account:<attr>[?action=read|manage]}: the account's e-mail, repository (import) or status;
 * {@code manage} includes {@code read}, which is the default.
 */
public record AccountPermission(String attr, List<String> action) implements Permission {
    public enum Attr {
        EMAIL, REPO, STATUS;

        public String value() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public enum Action {
        READ, MANAGE;

        public String value() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final ScopeParser PARSER = new ScopeParser("account", "attr",
            ScopeParser.Param.one("attr", true, ScopeParser.oneOf(List.of("email", "repo", "status"))),
            ScopeParser.Param.list("action", false, List.of("read"), ScopeParser.oneOf(List.of("read", "manage")), null));

    public AccountPermission {
        action = List.copyOf(action);
    }

    public static AccountPermission parse(String scope) {
        if (!ScopeStringSyntax.isFor(scope, "account")) return null;
        var syntax = ScopeStringSyntax.parse(scope);
        return syntax == null ? null : from(syntax);
    }

    @SuppressWarnings("unchecked")
    static AccountPermission from(ScopeSyntax syntax) {
        var values = PARSER.parse(syntax);
        return values == null ? null : new AccountPermission((String) values.get("attr"), (List<String>) values.get("action"));
    }

    public boolean matches(Attr attr, Action action) {
        return this.attr.equals(attr.value()) && (this.action.contains("manage") || this.action.contains(action.value()));
    }

    public static String scopeNeededFor(Attr attr, Action action) {
        return PARSER.format(Map.of("attr", attr.value(), "action", List.of(action.value())));
    }

    @Override
    public String scope() {
        return PARSER.format(Map.of("attr", attr, "action", action));
    }

    @Override
    public String toString() {
        return scope();
    }
}
