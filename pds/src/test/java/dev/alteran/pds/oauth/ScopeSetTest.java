package dev.alteran.pds.oauth;

import static dev.alteran.pds.oauth.AccountPermission.Action.MANAGE;
import static dev.alteran.pds.oauth.AccountPermission.Action.READ;
import static dev.alteran.pds.oauth.AccountPermission.Attr.EMAIL;
import static dev.alteran.pds.oauth.AccountPermission.Attr.REPO;
import static dev.alteran.pds.oauth.AccountPermission.Attr.STATUS;
import static dev.alteran.pds.oauth.RepoPermission.Action.CREATE;
import static dev.alteran.pds.oauth.RepoPermission.Action.DELETE;
import static dev.alteran.pds.oauth.RepoPermission.Action.UPDATE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.alteran.pds.wire.XrpcException;
import org.junit.jupiter.api.Test;

class ScopeSetTest {
    @Test
    void account() {
        var set = ScopeSet.strict("account:email");
        assertThat(set.allowsAccount(EMAIL, READ)).isTrue();
        assertThat(set.allowsAccount(EMAIL, MANAGE)).isFalse();
        assertThat(set.allowsAccount(REPO, READ)).isFalse();
        assertThat(set.allowsAccount(STATUS, MANAGE)).isFalse();
        assertThat(ScopeSet.strict("transition:email").allowsAccount(EMAIL, READ)).isFalse();
    }

    @Test
    void blob() {
        assertThat(ScopeSet.strict("blob:*/*").allowsBlob("application/json")).isTrue();
        assertThat(ScopeSet.strict("blob:image/*").allowsBlob("image/png")).isTrue();
        assertThat(ScopeSet.strict("blob:image/*").allowsBlob("application/json")).isFalse();
        assertThat(ScopeSet.strict("blob:*").allowsBlob("image/png")).isFalse();
        assertThat(ScopeSet.strict("blob:/image").allowsBlob("image/png")).isFalse();
        assertThat(ScopeSet.strict("transition:generic").allowsBlob("image/png")).isFalse();
    }

    @Test
    void repo() {
        var any = ScopeSet.strict("repo:*");
        assertThat(any.allowsRepo("com.example.foo", CREATE)).isTrue();
        assertThat(any.allowsRepo("app.bsky.feed.post", DELETE)).isTrue();
        var create = ScopeSet.strict("repo:*?action=create");
        assertThat(create.allowsRepo("app.bsky.feed.post", CREATE)).isTrue();
        assertThat(create.allowsRepo("com.example.foo", UPDATE)).isFalse();
        var one = ScopeSet.strict("repo:com.example.foo?action=create");
        assertThat(one.allowsRepo("com.example.foo", CREATE)).isTrue();
        assertThat(one.allowsRepo("app.bsky.feed.post", CREATE)).isFalse();
        assertThat(ScopeSet.strict("transition:generic").allowsRepo("app.bsky.feed.post", CREATE)).isFalse();
        assertThat(ScopeSet.strict("repo:not-a-valid-nsid").allowsRepo("not-a-valid-nsid", CREATE)).isFalse();
    }

    @Test
    void rpc() {
        assertThat(ScopeSet.strict("rpc:*?lxm=*").allowsRpc("com.example.method", "did:web:example.com")).isFalse();
        var feed = ScopeSet.strict("rpc:app.bsky.feed.getFeed?aud=*");
        assertThat(feed.allowsRpc("app.bsky.feed.getFeed", "did:web:example.com")).isTrue();
        assertThat(feed.allowsRpc("app.bsky.feed.getFeed", "did:plc:blahbla")).isTrue();
        assertThat(feed.allowsRpc("com.example.method", "did:web:example.com")).isFalse();
        var aud = ScopeSet.strict("rpc:*?aud=did:web:example.com%23foo");
        assertThat(aud.allowsRpc("com.example.method", "did:web:example.com#foo")).isTrue();
        assertThat(aud.allowsRpc("com.example.method", "did:web:bar.com#foo")).isFalse();
        assertThat(aud.allowsRpc("com.example.method", "did:web:example.com")).isFalse();
        assertThat(ScopeSet.strict("transition:generic").allowsRpc("app.bsky.feed.getFeed", "did:web:example.com")).isFalse();
        assertThat(ScopeSet.strict("transition:chat.bsky").allowsRpc("chat.bsky.message.send", "did:web:example.com")).isFalse();
    }

    @Test
    void transitionalScopesStandInForGranularOnes() {
        var email = ScopeSet.of("transition:email account:repo");
        assertThat(email.allowsAccount(EMAIL, READ)).isTrue();
        assertThat(email.allowsAccount(EMAIL, MANAGE)).isFalse();
        assertThat(email.allowsAccount(REPO, READ)).isTrue();
        assertThat(email.allowsAccount(REPO, MANAGE)).isFalse();
        assertThat(email.allowsAccount(STATUS, READ)).isFalse();

        var generic = ScopeSet.of("atproto transition:generic");
        assertThat(generic.allowsBlob("foo/bar")).isTrue();
        assertThat(generic.allowsRepo("com.example.foo", UPDATE)).isTrue();
        assertThat(generic.allowsRpc("app.bsky.feed.post", "did:web:example.com")).isTrue();
        assertThat(generic.allowsRpc("*", "did:web:example.com")).isTrue();
        assertThat(generic.allowsRpc("chat.bsky.message.send", "did:web:example.com")).isFalse();
        assertThat(generic.allowsIdentity(IdentityPermission.Attr.HANDLE)).isFalse(); // identity is never transitional
        assertThat(generic.allowsAccount(EMAIL, READ)).isFalse();

        var chat = ScopeSet.of("transition:chat.bsky");
        assertThat(chat.allowsRpc("chat.bsky.message.send", "did:web:example.com")).isTrue();
        assertThat(chat.allowsRpc("chat.bsky.conversation.get", "did:web:example.com")).isTrue();
        assertThat(chat.allowsRpc("app.bsky.feed.post", "did:web:example.com")).isFalse();
        assertThat(chat.allowsRpc("*", "did:web:example.com")).isFalse();
    }

    @Test
    void aMissingScopeIs403NamingIt() {
        var set = ScopeSet.of("atproto repo:app.bsky.feed.post?action=create");
        set.requireRepo("app.bsky.feed.post", CREATE);
        assertThatThrownBy(() -> set.requireRepo("app.bsky.feed.like", CREATE)).isInstanceOfSatisfying(XrpcException.class, e -> {
            assertThat(e.status()).isEqualTo(403);
            assertThat(e.error()).isEqualTo("ScopeMissingError");
            assertThat(e.getMessage()).isEqualTo("Missing required scope \"repo:app.bsky.feed.like?action=create\"");
        });
        assertThatThrownBy(() -> set.requireBlob("image/png")).hasMessage("Missing required scope \"blob:image/png\"");
        assertThatThrownBy(() -> set.requireRpc("app.bsky.feed.getFeed", "did:web:example.com#bsky_appview"))
                .hasMessage("Missing required scope \"rpc:app.bsky.feed.getFeed?aud=did:web:example.com%23bsky_appview\"");
        assertThatThrownBy(() -> set.requireAccount(EMAIL, READ)).hasMessage("Missing required scope \"account:email\"");
        assertThatThrownBy(() -> set.requireIdentity(IdentityPermission.Attr.HANDLE)).hasMessage("Missing required scope \"identity:handle\"");

        var appview = ScopeSet.of("rpc:app.bsky.feed.getFeed?aud=did:web:example.com%23bsky_appview");
        appview.requireRpc("app.bsky.feed.getFeed", "did:web:example.com#bsky_appview");
        assertThatThrownBy(() -> appview.requireRpc("app.bsky.feed.getFeed", "did:web:example.com")).isInstanceOf(XrpcException.class);
        ScopeSet.of("rpc:app.bsky.feed.getFeed?aud=*").requireRpc("app.bsky.feed.getFeed", "did:web:example.com#bsky_appview");
    }

    @Test
    void emptyAndUnknownScopesAllowNothing() {
        for (var s : new String[] {null, "", "atproto", "repo:read unknown:thing"}) {
            var set = ScopeSet.of(s);
            assertThat(set.allowsRepo("app.bsky.feed.post", CREATE)).isFalse();
            assertThat(set.allowsBlob("image/png")).isFalse();
        }
        assertThat(ScopeSet.of("atproto transition:generic").has("atproto")).isTrue();
    }

    @Test
    void normalizes() {
        assertThat(ScopeSet.isKnown("atproto")).isTrue();
        assertThat(ScopeSet.isKnown("include:com.example.foo")).isTrue();
        assertThat(ScopeSet.isKnown("repo:*")).isTrue();
        assertThat(ScopeSet.isKnown("transition:other")).isFalse();
        assertThat(ScopeSet.isKnown("rpc:*?aud=*")).isFalse();
        assertThat(ScopeSet.normalize("transition:generic repo?collection=*&action=create atproto bogus blob?accept=image/png&accept=image/*"))
                .isEqualTo("atproto blob:image/* repo:*?action=create transition:generic");
    }
}
