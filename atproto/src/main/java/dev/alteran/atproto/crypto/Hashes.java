package dev.alteran.atproto.crypto;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

final class Hashes {
    private Hashes() {}

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required on every Java platform", e);
        }
    }
}
