package dev.alteran.pds.identity;

import java.time.Instant;

/** The account's identity changed (today: its handle). The firehose turns this into an {@code #identity} event. */
public record IdentityEvent(String did, String handle, Instant time) {}
