package dev.alteran.pds.appview;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.alteran.pds.wire.XrpcException;
import org.junit.jupiter.api.Test;

class ServiceRefTest {
    @Test
    void parsesDidAndServiceId() {
        var ref = ServiceRef.parse("did:web:api.bsky.chat#bsky_chat");
        assertThat(ref.did()).isEqualTo("did:web:api.bsky.chat");
        assertThat(ref.serviceId()).isEqualTo("bsky_chat");
        assertThat(ref).hasToString("did:web:api.bsky.chat#bsky_chat");
        assertThat(ServiceRef.parse("did:plc:ar7c4by46qjdydhdevvrndac#atproto_labeler").did()).isEqualTo("did:plc:ar7c4by46qjdydhdevvrndac");
    }

    @Test
    void malformedHeadersAreTheReferenceMessages() {
        assertRefused("#bsky_appview", "no did specified in proxy header");
        assertRefused("did:web:api.bsky.app", "no service id specified in proxy header");
        assertRefused("did:web:api.bsky.app#", "no service id specified in proxy header");
        assertRefused("did:web:api.bsky.app#a#b", "invalid proxy header format");
        assertRefused("did:web:api.bsky.app #x", "proxy header cannot contain spaces");
        assertRefused("did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme#x", "invalid proxy header format");
        assertRefused("did:web:api.bsky.app#x/../y", "invalid proxy header format");
        assertRefused("not-a-did#x", "invalid proxy header format");
    }

    private static void assertRefused(String header, String message) {
        assertThatThrownBy(() -> ServiceRef.parse(header))
                .isInstanceOfSatisfying(XrpcException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.error()).isEqualTo("InvalidRequest");
                })
                .hasMessage(message);
    }
}
