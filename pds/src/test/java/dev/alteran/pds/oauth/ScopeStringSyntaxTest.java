package dev.alteran.pds.oauth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ScopeStringSyntaxTest {
    @Test
    void takesScopesApart() {
        var bare = ScopeStringSyntax.parse("my-res");
        assertThat(bare.prefix()).isEqualTo("my-res");
        assertThat(bare.positional()).isNull();
        assertThat(bare.keys()).isEmpty();

        assertThat(ScopeStringSyntax.parse("my-res:my-pos").positional()).isEqualTo("my-pos");
        assertThat(ScopeStringSyntax.parse("my-res:").positional()).isEmpty();

        var both = ScopeStringSyntax.parse("my-res:foo?x=value&y=value-y");
        assertThat(both.prefix()).isEqualTo("my-res");
        assertThat(both.positional()).isEqualTo("foo");
        assertThat(both.single("x")).contains("value");
        assertThat(both.single("y")).contains("value-y");
        assertThat(both.has("nonexistent")).isFalse();

        var named = ScopeStringSyntax.parse("my-res?x=value&y=value-y");
        assertThat(named.positional()).isNull();
        assertThat(named.keys()).containsExactly("x", "y");
    }

    @Test
    void repeatedParametersAreAListNotOneValue() {
        var s = ScopeStringSyntax.parse("my-res?x=foo&x=bar&x=baz");
        assertThat(s.multi("x")).contains(List.of("foo", "bar", "baz"));
        assertThat(s.single("x")).isEmpty();
    }

    @Test
    void onlyTheFirstQuestionMarkStartsTheQuery() {
        var s = ScopeStringSyntax.parse("rpc:foo.bar?aud=did:foo:bar?lxm=bar.baz");
        assertThat(s.prefix()).isEqualTo("rpc");
        assertThat(s.positional()).isEqualTo("foo.bar");
        assertThat(s.single("aud")).contains("did:foo:bar?lxm=bar.baz");
    }

    @Test
    void decodesEscapes() {
        assertThat(ScopeStringSyntax.parse("my-res:my%20pos").positional()).isEqualTo("my pos");
        assertThat(ScopeStringSyntax.parse("my-res?x=my%20value").single("x")).contains("my value");
        assertThat(ScopeStringSyntax.parse("my-res?x=a+b").single("x")).contains("a b");
        assertThat(ScopeStringSyntax.parse("my-res:my:pos").positional()).isEqualTo("my:pos");
        // a '#' is just a character in a scope, not a fragment
        assertThat(ScopeStringSyntax.parse("x?aud=did:web:a.com#svc").single("aud")).contains("did:web:a.com#svc");
    }

    @Test
    void aMalformedPositionalEscapeMakesTheScopeUnreadable() {
        assertThat(ScopeStringSyntax.parse("repo:%zz")).isNull();
        assertThat(ScopeStringSyntax.parse("repo:%C3")).isNull(); // truncated UTF-8
        assertThat(ScopeStringSyntax.parse("x?y=%zz").single("y")).contains("%zz"); // the query is lenient
    }

    @Test
    void recognisesItsPrefix() {
        assertThat(ScopeStringSyntax.isFor("repo", "repo")).isTrue();
        assertThat(ScopeStringSyntax.isFor("repo:x", "repo")).isTrue();
        assertThat(ScopeStringSyntax.isFor("repo?x=y", "repo")).isTrue();
        assertThat(ScopeStringSyntax.isFor("repos:x", "repo")).isFalse();
        assertThat(ScopeStringSyntax.isFor("rep", "repo")).isFalse();
    }

    @Test
    void encodingKeepsScopeCharactersReadable() {
        assertThat(new ScopeStringSyntax("blob", "image/*", null).toString()).isEqualTo("blob:image/*");
        assertThat(new ScopeStringSyntax("rpc", "a.b.c", List.of(java.util.Map.entry("aud", "did:web:x.com#svc"))).toString())
                .isEqualTo("rpc:a.b.c?aud=did:web:x.com%23svc");
        assertThat(ScopeStringSyntax.encodeComponent("a b!~'()")).isEqualTo("a%20b!~'()");
    }
}
