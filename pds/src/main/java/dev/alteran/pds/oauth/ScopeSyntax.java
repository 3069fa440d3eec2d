package dev.alteran.pds.oauth;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * One permission taken apart: a resource prefix, an optional positional parameter and named
 * parameters. Read either from a scope string ({@code repo:app.bsky.feed.post?action=create}) or
 * from a permission object in a Lexicon permission set, so both go through the same
 * {@link ScopeParser} rules, as in {@code @atproto/oauth-scopes}.
 */
interface ScopeSyntax {
    String prefix();

    /** The value after {@code prefix:}, or null. */
    String positional();

    /** The named parameters present, repeated names included. */
    Collection<String> keys();

    boolean has(String key);

    /** The parameter as one value; empty when it is not one (repeated, or a list in a Lexicon). */
    Optional<Object> single(String key);

    /** The parameter as a list; empty when it is not one (a scalar in a Lexicon). */
    Optional<List<Object>> multi(String key);
}
