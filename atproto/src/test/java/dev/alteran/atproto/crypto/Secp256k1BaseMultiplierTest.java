package dev.alteran.atproto.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Random;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.math.raw.Nat256;
import org.junit.jupiter.api.Test;

/** The table multiplier against BouncyCastle's comb: same points for edge and random scalars. */
class Secp256k1BaseMultiplierTest {
    @Test
    void agreesWithBouncyCastleOnEdgeAndRandomScalars() {
        var x9 = CustomNamedCurves.getByName("secp256k1");
        var n = x9.getN();
        var two256 = BigInteger.ONE.shiftLeft(256);
        var scalars = new ArrayList<BigInteger>();
        for (long v = 1; v <= 70; v++) scalars.add(BigInteger.valueOf(v));
        scalars.add(n.subtract(BigInteger.ONE));
        scalars.add(n.subtract(BigInteger.TWO));
        scalars.add(n.shiftRight(1));
        scalars.add(n.shiftRight(1).add(BigInteger.ONE));
        for (int b : new int[] {31, 32, 64, 128, 250, 254, 255}) {
            var p = BigInteger.ONE.shiftLeft(b);
            scalars.add(p);
            scalars.add(p.subtract(BigInteger.ONE));
            scalars.add(p.add(BigInteger.ONE));
        }
        scalars.add(two256.subtract(n)); // the one odd scalar whose last addition is a doubling
        scalars.add(n.shiftLeft(1).subtract(two256)); // its negation
        var random = new Random(7);
        for (int i = 0; i < 2000; i++) {
            var k = new BigInteger(256, random).mod(n);
            if (k.signum() > 0) scalars.add(k);
        }
        var comb = new FixedPointCombMultiplier();
        for (var k : scalars) {
            var expected = comb.multiply(x9.getG(), k).normalize();
            var got = Secp256k1BaseMultiplier.INSTANCE.multiply(x9.getG(), k).normalize();
            assertThat(got.getAffineXCoord().toBigInteger()).as("x of %s·G", k).isEqualTo(expected.getAffineXCoord().toBigInteger());
            assertThat(got.getAffineYCoord().toBigInteger()).as("y of %s·G", k).isEqualTo(expected.getAffineYCoord().toBigInteger());
        }
    }

    @Test
    void theDigitsOfAnOddScalarAddUpToIt() {
        var random = new Random(11);
        for (int i = 0; i < 500; i++) {
            var k = new BigInteger(256, random).setBit(0);
            var s = Nat256.fromBigInteger(k);
            var sum = BigInteger.ONE.shiftLeft(255); // the top digit, always 1
            for (int d = 0; d < 51; d++) {
                int digit = Secp256k1BaseMultiplier.digit(s, d);
                assertThat(Math.abs(digit) % 2).isEqualTo(1);
                assertThat(Math.abs(digit)).isLessThanOrEqualTo(31);
                sum = sum.add(BigInteger.valueOf(digit).shiftLeft(5 * d));
            }
            assertThat(sum).isEqualTo(k);
        }
    }
}
