package dev.alteran.bench;

import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.data.DagCbor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** CID computation for a 300-byte block, and CID formatting and parsing. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CidBench {
  byte[] block;
  Cid cid;
  String text;

  @Setup
  public void setup() {
    // A 300-byte DAG-CBOR block: a small record whose text is padded to the size.
    block = DagCbor.encode(java.util.Map.of("$type", "app.bsky.feed.like", "text", "x".repeat(266)));
    if (block.length != 300) throw new IllegalStateException("block is " + block.length + " bytes");
    cid = Cid.ofDagCbor(block);
    text = cid.toString();
    System.out.println("check cid300=" + text);
  }

  @Benchmark
  public Cid ofDagCbor() {
    return Cid.ofDagCbor(block);
  }

  @Benchmark
  public String format() {
    return Cid.fromBytes(cid.bytes()).toString(); // fresh instance: toString is cached per Cid
  }

  @Benchmark
  public Cid parse() {
    return Cid.parse(text);
  }
}
