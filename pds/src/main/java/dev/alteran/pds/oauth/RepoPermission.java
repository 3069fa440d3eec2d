package dev.alteran.pds.oauth;

import dev.alteran.atproto.syntax.Nsid;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code repo:<collection>[?action=create&action=update&action=delete]}: record writes in the
 * listed collections ({@code *} for any) with the listed actions (all three when none are named).
 */
public record RepoPermission(List<String> collection, List<String> action) implements Permission {
    /** A record write's kind, named as in the scope. */
    public enum Action {
        CREATE, UPDATE, DELETE;

        public String value() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    static final List<String> ACTIONS = List.of("create", "update", "delete");
    private static final ScopeParser PARSER = new ScopeParser("repo", "collection",
            ScopeParser.Param.list("collection", true, null, RepoPermission::isCollection, values -> {
                if (values.size() > 1) return values.contains("*") ? List.of("*") : List.copyOf(new TreeSet<>(values));
                return values;
            }),
            ScopeParser.Param.list("action", false, ACTIONS, ScopeParser.oneOf(ACTIONS),
                    values -> ACTIONS.stream().filter(values::contains).toList()));

    public RepoPermission {
        collection = List.copyOf(collection);
        action = List.copyOf(action);
    }

    static boolean isCollection(Object value) {
        return "*".equals(value) || (value instanceof String s && Nsid.isValid(s));
    }

    public static RepoPermission parse(String scope) {
        if (!ScopeStringSyntax.isFor(scope, "repo")) return null;
        var syntax = ScopeStringSyntax.parse(scope);
        return syntax == null ? null : from(syntax);
    }

    @SuppressWarnings("unchecked")
    static RepoPermission from(ScopeSyntax syntax) {
        var values = PARSER.parse(syntax);
        if (values == null) return null;
        return new RepoPermission((List<String>) values.get("collection"), (List<String>) values.get("action"));
    }

    public boolean matches(String collection, Action action) {
        return this.action.contains(action.value()) && (this.collection.contains("*") || this.collection.contains(collection));
    }

    /** The narrowest scope that allows this write (the name of a missing scope in errors). */
    public static String scopeNeededFor(String collection, Action action) {
        return PARSER.format(Map.of("collection", List.of(collection), "action", List.of(action.value())));
    }

    @Override
    public String scope() {
        return PARSER.format(Map.of("collection", collection, "action", action));
    }

    @Override
    public String toString() {
        return scope();
    }
}
