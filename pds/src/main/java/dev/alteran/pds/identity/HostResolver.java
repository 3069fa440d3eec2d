package dev.alteran.pds.identity;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Turns a host name (or an address literal) into addresses. Outbound HTTP asks it once per new
 * connection and connects only to what it answered, after checking every address (see
 * {@link EgressClient}); tests substitute their own to play a DNS server that changes its answer.
 */
@FunctionalInterface
public interface HostResolver {
    /** The system resolver (and its cache), as {@link InetAddress#getAllByName} asks it. */
    HostResolver SYSTEM = host -> List.of(InetAddress.getAllByName(host));

    List<InetAddress> resolve(String host) throws UnknownHostException;
}
