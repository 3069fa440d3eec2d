package dev.alteran.bench;

import dev.alteran.atproto.crypto.Curve;
import dev.alteran.atproto.crypto.DidKeys;
import dev.alteran.atproto.crypto.Keypair;
import dev.alteran.atproto.crypto.PublicKey;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** secp256k1 signing (repo commits, service-auth JWTs) and verification (incoming commits, tokens). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CryptoBench {
    @Param({"32", "200"})
    int size;

    @Param({"K256"})
    Curve curve;

    Keypair keypair;
    PublicKey publicKey;
    byte[] message;
    byte[] signature;
    String didKey;

    @Setup
    public void setup() throws Exception {
        keypair = Keypair.generate(curve);
        message = new byte[size];
        new Random(42).nextBytes(message);
        signature = keypair.sign(message);
        didKey = keypair.didKey();
        var digest = java.security.MessageDigest.getInstance("SHA-256").digest(message);
        System.out.println("check messageSha256Prefix=" + java.util.HexFormat.of().formatHex(digest, 0, 8));
        // a fresh instance, as a verifier that parsed the did:key once would hold
        publicKey = new PublicKey(curve, keypair.publicKey().compressed());
    }

    @Benchmark
    public byte[] sign() {
        return keypair.sign(message);
    }

    @Benchmark
    public boolean verify() {
        return publicKey.verify(message, signature);
    }

    /** Verification from the did:key string each time: includes base58 decoding and point decompression. */
    @Benchmark
    public boolean verifyFromDidKey() {
        return DidKeys.parseDidKey(didKey).verify(message, signature);
    }
}
