package dev.alteran.atproto.plc;

import java.util.Objects;

/** A service entry of a PLC operation, e.g. {@code atproto_pds -> {AtprotoPersonalDataServer, https://pds.example.com}}. */
public record PlcService(String type, String endpoint) {
    /** The type of the {@code atproto_pds} service. */
    public static final String ATPROTO_PDS_TYPE = "AtprotoPersonalDataServer";

    public PlcService {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(endpoint, "endpoint");
    }

    public static PlcService atprotoPds(String endpoint) {
        return new PlcService(ATPROTO_PDS_TYPE, endpoint);
    }
}
