package dev.alteran.pds.appview;

import java.net.URI;

/**
 * Where one proxied call goes: the service's DID (the token's audience), its id, and its origin;
 * {@code name} says which configured service it is ({@code appview}, {@code chat}, {@code moderation})
 * or {@code other}, a bounded tag for the proxy's meters.
 */
public record ProxyTarget(ServiceRef service, URI origin, String name) {
    public static final String OTHER = "other";
}
