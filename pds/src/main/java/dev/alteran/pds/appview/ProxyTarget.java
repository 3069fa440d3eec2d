package dev.alteran.pds.appview;

import java.net.URI;

/** Where one proxied call goes: the service's DID (the token's audience), its id, and its origin. */
public record ProxyTarget(ServiceRef service, URI origin) {}
