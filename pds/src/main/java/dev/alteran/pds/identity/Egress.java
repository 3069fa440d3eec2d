package dev.alteran.pds.identity;

import java.net.InetAddress;
import java.util.Objects;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;

/**
 * Where outbound HTTP may go: the resolver each new connection asks (once), the addresses it may
 * then connect to, and the TLS trust (null: the JDK's default trust store). Tests replace the
 * resolver and the trust; the address rule stays the production one plus what a test adds.
 */
public record Egress(HostResolver resolver, Predicate<InetAddress> allowed, SSLContext tls) {
    public Egress {
        Objects.requireNonNull(resolver);
        Objects.requireNonNull(allowed);
    }

    /** Public addresses only ({@link IdentityHttp#isPublic}), through the system resolver. */
    public static Egress publicOnly() {
        return new Egress(HostResolver.SYSTEM, IdentityHttp::isPublic, null);
    }

    /** Any address: development, and services the operator chose (the PLC directory). */
    public static Egress anywhere() {
        return new Egress(HostResolver.SYSTEM, a -> true, null);
    }
}
