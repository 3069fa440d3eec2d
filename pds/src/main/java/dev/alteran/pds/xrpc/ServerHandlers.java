package dev.alteran.pds.xrpc;

import dev.alteran.pds.config.Config;
import java.util.List;
import java.util.Map;

/** com.atproto.server.*: what this server is. Session methods join here with the auth work. */
public final class ServerHandlers {
    private final Config config;

    public ServerHandlers(Config config) {
        this.config = config;
    }

    public void register(XrpcRouter router) {
        router.query("com.atproto.server.describeServer", call -> describeServer());
    }

    /** A single-user PDS: no sign-ups, so no user domains are offered and invites would be required. */
    DescribeServer describeServer() {
        return new DescribeServer(config.did(), List.of(), true, false, Map.of(), Map.of());
    }

    record DescribeServer(String did, List<String> availableUserDomains, boolean inviteCodeRequired,
                          boolean phoneVerificationRequired, Map<String, String> links, Map<String, String> contact) {}
}
