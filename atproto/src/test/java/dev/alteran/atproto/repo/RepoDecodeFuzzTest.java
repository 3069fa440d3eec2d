package dev.alteran.atproto.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.alteran.atproto.data.Cid;

/**
 * Fuzz targets for decoding the blocks of a repository: commits and MST nodes. Without {@code
 * JAZZER_FUZZ=1} they replay the saved inputs under
 * {@code src/test/resources/dev/alteran/atproto/repo/RepoDecodeFuzzTestInputs/}; bench/fuzz.sh fuzzes them.
 */
class RepoDecodeFuzzTest {
  /**
   * Any bytes either decode as a commit or raise {@link RepoException}, nothing else; an accepted
   * commit re-encodes to the same bytes, so its CID (which the signature and the firehose rely on)
   * does not change by decoding it.
   */
  @FuzzTest
  void commitDecodeOnlyThrowsRepoException(byte[] input) {
    Commit commit;
    try {
      commit = Commit.decode(input);
    } catch (RepoException e) {
      return;
    }
    assertArrayEquals(input, commit.encode(), "decode then encode must give the commit block back");
  }

  /**
   * An MST root block made of any bytes either loads, and its entries can be walked, or raises
   * {@link RepoException} (a {@link MissingBlockException} for a subtree that is not there), nothing else.
   */
  @FuzzTest
  void mstNodeDecodeOnlyThrowsRepoException(byte[] input) {
    var cid = Cid.ofDagCbor(input);
    BlockSource source = c -> c.equals(cid) ? input : null;
    try {
      Mst.load(source, cid).walk(e -> {});
    } catch (RepoException e) {
      // refused: the property holds
    }
  }
}
