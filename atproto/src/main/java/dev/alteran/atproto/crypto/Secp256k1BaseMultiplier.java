package dev.alteran.atproto.crypto;

import java.math.BigInteger;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.math.ec.ECMultiplier;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.math.ec.custom.sec.SecP256K1Field;
import org.bouncycastle.math.raw.Nat256;

/**
 * k·G on secp256k1, for signing: the multiplication that is most of an ECDSA signature, over a larger
 * precomputed table than BouncyCastle's comb, with the same constant-time discipline (no branch or
 * table index that depends on k) and BouncyCastle's field arithmetic.
 *
 * <p>k is written in 51 signed odd digits of 5 bits plus a top digit that is always 1 (the "regular"
 * recoding of an odd scalar: d_i = ((k &gt;&gt; 5i) &amp; 63 | 1) - 32), so
 * k = Σ d_i·32^i + 2^255. The table holds the odd multiples 1·32^i·G … 31·32^i·G of every window in
 * affine form; k·G is then 51 mixed additions (no doublings), each of a table point found by reading
 * all 16 entries of its window under a mask and negated by a mask. An even k is replaced by n - k (odd)
 * and the result negated. BouncyCastle's comb does 43 doublings, 43 additions and 43 lookups over 64
 * entries for the same product; this takes about half the time.
 *
 * <p>The partial sums stay below 2^255 in magnitude, so no addition meets its own operand or its
 * negation (where the addition formula fails), except in the last one for the single odd scalar
 * 2^256 - n: that case is detected and computed again by BouncyCastle's multiplier.
 */
final class Secp256k1BaseMultiplier implements ECMultiplier {
    static final Secp256k1BaseMultiplier INSTANCE = new Secp256k1BaseMultiplier();

    private static final int DIGITS = 51; // signed 5-bit digits below the top one
    private static final int ENTRIES = 16; // odd multiples 1, 3, ..., 31
    private static final int STRIDE = 16; // ints per table point: x then y

    private final X9ECParameters params = CustomNamedCurves.getByName("secp256k1");
    private final ECPoint g = params.getG();
    private final int[] n = Nat256.fromBigInteger(params.getN());
    private final int[] table = new int[DIGITS * ENTRIES * STRIDE];
    private final int[] topX;
    private final int[] topY;
    private final ECMultiplier fallback = new FixedPointCombMultiplier();

    private Secp256k1BaseMultiplier() {
        // Public values, computed once with BouncyCastle's ordinary (variable-time) arithmetic.
        var points = new ECPoint[DIGITS * ENTRIES + 1];
        var base = g;
        for (int i = 0; i < DIGITS; i++) {
            var twice = base.twice();
            points[i * ENTRIES] = base;
            for (int j = 1; j < ENTRIES; j++) points[i * ENTRIES + j] = points[i * ENTRIES + j - 1].add(twice);
            base = base.timesPow2(5);
        }
        points[DIGITS * ENTRIES] = base; // 2^255·G
        params.getCurve().normalizeAll(points);
        for (int p = 0; p < DIGITS * ENTRIES; p++) {
            System.arraycopy(Nat256.fromBigInteger(points[p].getAffineXCoord().toBigInteger()), 0, table, p * STRIDE, 8);
            System.arraycopy(Nat256.fromBigInteger(points[p].getAffineYCoord().toBigInteger()), 0, table, p * STRIDE + 8, 8);
        }
        topX = Nat256.fromBigInteger(points[DIGITS * ENTRIES].getAffineXCoord().toBigInteger());
        topY = Nat256.fromBigInteger(points[DIGITS * ENTRIES].getAffineYCoord().toBigInteger());
    }

    @Override
    public ECPoint multiply(ECPoint p, BigInteger k) {
        if (!p.equals(g) || k.signum() <= 0 || k.compareTo(params.getN()) >= 0) return fallback.multiply(p, k);

        int[] kw = Nat256.fromBigInteger(k);
        int[] nk = Nat256.create();
        Nat256.sub(n, kw, nk);
        int even = (kw[0] & 1) - 1; // -1 when k is even: multiply by n - k instead and negate
        int[] s = Nat256.create();
        for (int w = 0; w < 8; w++) s[w] = (kw[w] & ~even) | (nk[w] & even);

        int[] x = Nat256.create(), y = Nat256.create(), t = Nat256.create(), tt = Nat256.createExt();
        int[] px = Nat256.create(), py = Nat256.create(), pz = Nat256.create();
        var scratch = new int[6][8];
        lookup(0, digit(s, 0), px, py, t);
        pz[0] = 1;
        int exceptional = 0;
        for (int i = 1; i < DIGITS; i++) {
            lookup(i, digit(s, i), x, y, t);
            exceptional |= addAffine(px, py, pz, x, y, scratch, tt);
        }
        exceptional |= addAffine(px, py, pz, topX, topY, scratch, tt);
        if (exceptional != 0) return fallback.multiply(p, k); // only for k = ±(2^256 - n) mod n, see above

        SecP256K1Field.negate(py, t);
        for (int w = 0; w < 8; w++) py[w] = (py[w] & ~even) | (t[w] & even);
        // To affine: x = X/Z², y = Y/Z³.
        int[] zInv = Nat256.create(), zInv2 = Nat256.create();
        SecP256K1Field.inv(pz, zInv);
        SecP256K1Field.square(zInv, zInv2, tt);
        SecP256K1Field.multiply(px, zInv2, x, tt);
        SecP256K1Field.multiply(zInv2, zInv, zInv2, tt);
        SecP256K1Field.multiply(py, zInv2, y, tt);
        return p.getCurve().createPoint(Nat256.toBigInteger(x), Nat256.toBigInteger(y));
    }

    /** Digit i of the odd scalar s: bits 5i to 5i+5 with the lowest set, minus 32; odd, in [-31, 31]. */
    static int digit(int[] s, int i) {
        int bit = 5 * i, word = bit >>> 5, shift = bit & 31;
        long pair = (s[word] & 0xffffffffL) | (word < 7 ? (long) s[word + 1] << 32 : 0);
        return ((int) (pair >>> shift) & 63 | 1) - 32;
    }

    /** (x, y) = d·32^i·G, reading every entry of window i so the access pattern does not depend on d. */
    private void lookup(int i, int d, int[] x, int[] y, int[] t) {
        int sign = d >> 31;
        int index = ((d ^ sign) - sign) >>> 1; // |d| = 2·index + 1
        for (int w = 0; w < 8; w++) x[w] = y[w] = 0;
        int base = i * ENTRIES * STRIDE;
        for (int j = 0; j < ENTRIES; j++) {
            int m = ((j ^ index) - 1) >> 31; // -1 for the wanted entry, else 0
            int e = base + j * STRIDE;
            for (int w = 0; w < 8; w++) {
                x[w] |= table[e + w] & m;
                y[w] |= table[e + 8 + w] & m;
            }
        }
        SecP256K1Field.negate(y, t);
        for (int w = 0; w < 8; w++) y[w] = (y[w] & ~sign) | (t[w] & sign);
    }

    /**
     * (X, Y, Z) += (x2, y2): Jacobian plus affine for a = 0 (8M + 3S). Returns -1 when the two points
     * have the same x (equal or opposite), where the formula does not hold; else 0.
     */
    private static int addAffine(int[] px, int[] py, int[] pz, int[] x2, int[] y2, int[][] s, int[] tt) {
        int[] z1z1 = s[0], u2 = s[1], s2 = s[2], h = s[3], r = s[4], hh = s[5];
        SecP256K1Field.square(pz, z1z1, tt);
        SecP256K1Field.multiply(x2, z1z1, u2, tt);
        SecP256K1Field.multiply(pz, z1z1, s2, tt);
        SecP256K1Field.multiply(y2, s2, s2, tt);
        SecP256K1Field.subtract(u2, px, h);
        SecP256K1Field.subtract(s2, py, r);
        int any = 0;
        for (int w = 0; w < 8; w++) any |= h[w];
        int same = ~((any | -any) >> 31);

        SecP256K1Field.square(h, hh, tt);
        int[] hhh = u2, v = z1z1;
        SecP256K1Field.multiply(h, hh, hhh, tt);
        SecP256K1Field.multiply(px, hh, v, tt);
        SecP256K1Field.multiply(pz, h, pz, tt); // Z3 = Z1·H
        SecP256K1Field.square(r, px, tt); // X3 = R² - HHH - 2V
        SecP256K1Field.subtract(px, hhh, px);
        SecP256K1Field.subtract(px, v, px);
        SecP256K1Field.subtract(px, v, px);
        SecP256K1Field.multiply(py, hhh, hhh, tt); // Y1·HHH
        SecP256K1Field.subtract(v, px, v); // Y3 = R·(V - X3) - Y1·HHH
        SecP256K1Field.multiply(r, v, py, tt);
        SecP256K1Field.subtract(py, hhh, py);
        return same;
    }
}
