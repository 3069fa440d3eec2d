package dev.alteran.atproto.car;

import dev.alteran.atproto.data.Cid;
import java.util.List;
import java.util.Map;

/** A fully read (small) CAR: its roots and its blocks by CID, in file order. */
public record CarFile(List<Cid> roots, Map<Cid, byte[]> blocks) {
  /** The single root; {@link CarException} if there is not exactly one. */
  public Cid root() {
    if (roots.size() != 1) throw new CarException("expected exactly one root, found " + roots.size());
    return roots.getFirst();
  }
}
