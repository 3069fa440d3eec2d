package dev.alteran.atproto.plc;

import java.util.Objects;

/**
 * One entry of a directory audit log ({@code /:did/log/audit}): the operation as the directory stored it, the CID
 * it claims for it, whether a recovery operation nullified it, and when the directory accepted it.
 */
public record PlcAuditEntry(String did, PlcOp operation, String cid, boolean nullified, String createdAt) {
    public PlcAuditEntry {
        Objects.requireNonNull(did, "did");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(cid, "cid");
    }
}
