package dev.alteran.atproto.car;

import dev.alteran.atproto.data.Cid;

/** One CAR section: a block and the CID it was stored under (verified by {@link CarReader}). */
public record Block(Cid cid, byte[] bytes) {}
