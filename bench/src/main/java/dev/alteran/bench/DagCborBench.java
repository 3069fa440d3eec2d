package dev.alteran.bench;

import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.data.DagCbor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Encode/decode of a typical app.bsky.feed.post reply with a link facet. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class DagCborBench {
  Map<String, Object> post;
  byte[] encoded;

  /** The post record as the data model holds it (insertion order deliberately non-canonical). */
  static Map<String, Object> samplePost() {
    var rootCid = Cid.parse("bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a");
    var parentCid = Cid.parse("bafyreihldkhcwijkde7gx4rpkkuw7pl6lbyu5gieunyc7ihactn5bkd2nm");
    var text = "Reading the repository spec this morning: https://atproto.com/specs/repository is a good start.";
    var post = new LinkedHashMap<String, Object>();
    post.put("$type", "app.bsky.feed.post");
    post.put("text", text);
    post.put("createdAt", "2024-11-18T09:41:23.512Z");
    post.put("langs", List.of("en"));
    post.put("facets", List.of(Map.of(
        "$type", "app.bsky.richtext.facet",
        "index", Map.of("byteStart", 43L, "byteEnd", 78L),
        "features", List.of(Map.of(
            "$type", "app.bsky.richtext.facet#link",
            "uri", "https://atproto.com/specs/repository")))));
    post.put("reply", Map.of(
        "root", Map.of("uri", "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3l6oveex3ii2l", "cid", rootCid),
        "parent", Map.of("uri", "at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3l6ovf2qr7s2a", "cid", parentCid)));
    return post;
  }

  @Setup
  public void setup() {
    post = samplePost();
    encoded = DagCbor.encode(post);
    System.out.println("check postBytes=" + encoded.length + " postCid=" + DagCbor.cid(post));
  }

  @Benchmark
  public byte[] encode() {
    return DagCbor.encode(post);
  }

  @Benchmark
  public Object decode() {
    return DagCbor.decode(encoded);
  }

  @Benchmark
  public Cid encodeAndCid() {
    return DagCbor.cid(post);
  }
}
