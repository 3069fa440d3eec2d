// The protocol-core benchmarks of bench/src/main/java/dev/alteran/bench/ run with the reference
// TypeScript libraries (@atproto/repo, @atproto/crypto, @atproto/lex-cbor) on the same inputs,
// so bench/run-core.sh can print Java/Node ratios. Prints one JSON object: ops/s per operation,
// plus check values (CIDs) that must equal the Java side's, proving both did the same work.
//
// Usage: node core.mjs [--warmup N] [--iterations N] [--seconds S] [--only name,name]
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { performance } from 'node:perf_hooks'
import { cidForLex, decode, encode } from '@atproto/lex-cbor'
import { cidForCbor, decodeCid, parseCid } from '@atproto/lex-data'
import { BlockMap, MST, MemoryBlockstore } from '@atproto/repo'
import { Secp256k1Keypair, verifySignature } from '@atproto/crypto'

// verifySig (compressed key bytes) is what verifySignature calls after parsing the did:key; the
// package does not export it, so load the module file directly.
const require = createRequire(import.meta.url)
const cryptoDir = require.resolve('@atproto/crypto').replace(/index\.js$/, '')
const { verifySig } = await import(pathToFileURL(cryptoDir + 'secp256k1/operations.js').href)

// ---- arguments ----
const args = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = args.indexOf('--' + name)
  return i >= 0 ? args[i + 1] : dflt
}
const WARMUP = Number(opt('warmup', 3))
const ITERATIONS = Number(opt('iterations', 5))
const SECONDS = Number(opt('seconds', 1))
const ONLY = opt('only', null)?.split(',')

// ---- java.util.Random, so the MST keys, their order and the signed message match the Java side ----
class JavaRandom {
  static MASK = (1n << 48n) - 1n
  constructor(seed) {
    this.seed = (BigInt(seed) ^ 0x5deece66dn) & JavaRandom.MASK
  }
  next(bits) {
    this.seed = (this.seed * 0x5deece66dn + 0xbn) & JavaRandom.MASK
    return Number(BigInt.asIntN(32, this.seed >> BigInt(48 - bits)))
  }
  nextInt(bound) {
    if (bound === undefined) return this.next(32)
    if ((bound & -bound) === bound) return Number((BigInt(bound) * BigInt(this.next(31))) >> 31n)
    let bits, val
    do {
      bits = this.next(31)
      val = bits % bound
    } while (bits - val + (bound - 1) > 0x7fffffff) // Java: int overflow to negative
    return val
  }
  nextBytes(bytes) {
    for (let i = 0; i < bytes.length; ) {
      for (let rnd = this.nextInt(), n = Math.min(bytes.length - i, 4); n-- > 0; rnd >>= 8) {
        bytes[i++] = rnd & 0xff
      }
    }
  }
  /** Collections.shuffle(list, rnd) */
  shuffle(list) {
    for (let i = list.length; i > 1; i--) {
      const j = this.nextInt(i)
      const t = list[i - 1]
      list[i - 1] = list[j]
      list[j] = t
    }
  }
}

const utf8 = (s) => new TextEncoder().encode(s)

// ---- inputs (mirror the @Setup methods of the JMH classes) ----

/** DagCborBench.samplePost(): same structure, values and (non-canonical) insertion order. */
function samplePost() {
  const rootCid = parseCid('bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a')
  const parentCid = parseCid('bafyreihldkhcwijkde7gx4rpkkuw7pl6lbyu5gieunyc7ihactn5bkd2nm')
  return {
    $type: 'app.bsky.feed.post',
    text: 'Reading the repository spec this morning: https://atproto.com/specs/repository is a good start.',
    createdAt: '2024-11-18T09:41:23.512Z',
    langs: ['en'],
    facets: [
      {
        $type: 'app.bsky.richtext.facet',
        index: { byteStart: 43, byteEnd: 78 },
        features: [{ $type: 'app.bsky.richtext.facet#link', uri: 'https://atproto.com/specs/repository' }],
      },
    ],
    reply: {
      root: { uri: 'at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3l6oveex3ii2l', cid: rootCid },
      parent: { uri: 'at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3l6ovf2qr7s2a', cid: parentCid },
    },
  }
}

const TID_CHARS = '234567abcdefghijklmnopqrstuvwxyz'
function tid(micros, clock) {
  let v = (micros << 10n) | BigInt(clock)
  const out = new Array(13)
  for (let i = 12; i >= 0; i--) {
    out[i] = TID_CHARS[Number(v & 31n)]
    v >>= 5n
  }
  return out.join('')
}

/** MstBench.setup(): keys app.bsky.feed.post/<tid>, shuffled; values CIDs of "record N"; update picks. */
async function mstInputs(size, updates) {
  const rnd = new JavaRandom(42)
  const seen = new Set()
  const keys = []
  const values = []
  let micros = 1_700_000_000_000_000n
  while (keys.length < size) {
    micros += BigInt(1 + rnd.nextInt(5_000_000))
    const key = 'app.bsky.feed.post/' + tid(micros, rnd.nextInt(1024))
    if (!seen.has(key)) {
      seen.add(key)
      keys.push(key)
      values.push(await cidForCbor(utf8('record ' + keys.length)))
    }
  }
  rnd.shuffle(keys)
  const updateKeys = []
  const updateValues = []
  for (let i = 0; i < updates; i++) {
    updateKeys.push(keys[rnd.nextInt(size)])
    updateValues.push(await cidForCbor(utf8('update ' + i)))
  }
  return { keys, values, updateKeys, updateValues }
}

/** A block store that reads through to a base store and keeps its own writes (Java: written.or(store)). */
class OverlayBlockstore extends MemoryBlockstore {
  constructor(base) {
    super()
    this.base = base
  }
  async getBytes(cid) {
    return this.blocks.get(cid) || this.base.getBytes(cid)
  }
  async has(cid) {
    return this.blocks.has(cid) || this.base.has(cid)
  }
  async getBlocks(cids) {
    const blocks = new BlockMap()
    const missing = []
    for (const cid of cids) {
      const bytes = await this.getBytes(cid)
      if (bytes) blocks.set(cid, bytes)
      else missing.push(cid)
    }
    return { blocks, missing }
  }
}

// ---- harness: a first call, warmup iterations, then timed iterations of at least SECONDS each (and at
// least one op); the score is the mean of the iterations' ops/s, as JMH reports it. Also ops per
// second of process CPU time (all threads), as bench's CpuTimeProfiler measures the JVM ----
async function measure(fn) {
  const t0 = performance.now()
  const first = fn() // also tells whether the operation is async
  const isAsync = first instanceof Promise
  if (isAsync) await first
  // Operations of several seconds (the Node MST runs): fewer rounds, or a run would take many minutes.
  const slow = performance.now() - t0 > 2 * SECONDS * 1000
  const warmup = slow ? Math.min(WARMUP, 1) : WARMUP
  const iterations = slow ? Math.min(ITERATIONS, 3) : ITERATIONS
  const iteration = async () => {
    let ops = 0
    const cpuStart = process.cpuUsage()
    const start = performance.now()
    let now = start
    if (isAsync) {
      do {
        await fn()
        ops++
        now = performance.now()
      } while (now - start < SECONDS * 1000)
    } else {
      // read the clock every `batch` calls; batch is kept near 1 ms of work
      let batch = 1
      do {
        for (let i = 0; i < batch; i++) fn()
        ops += batch
        const t = performance.now()
        if (t - now < 1 && batch < 1 << 20) batch *= 2
        now = t
      } while (now - start < SECONDS * 1000)
    }
    const cpu = process.cpuUsage(cpuStart) // microseconds, all threads of the process
    return { wall: (ops * 1000) / (now - start), cpu: (ops * 1e6) / Math.max(1, cpu.user + cpu.system) }
  }
  for (let i = 0; i < warmup; i++) await iteration()
  const runs = []
  for (let i = 0; i < iterations; i++) runs.push(await iteration())
  const stats = (xs) => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1))
    return { mean, sd }
  }
  const wall = stats(runs.map((r) => r.wall))
  const cpu = stats(runs.map((r) => r.cpu))
  return {
    opsPerSec: wall.mean,
    stdev: wall.sd,
    opsPerCpuSec: cpu.mean,
    cpuStdev: cpu.sd,
    iterations: runs.map((r) => r.wall),
  }
}

// ---- the operations; names match the JMH benchmark methods ----
const results = {}
const check = {}
const want = (name) => !ONLY || ONLY.includes(name)
const run = async (name, fn) => {
  if (!want(name)) return
  process.stderr.write(`${name} ...`)
  results[name] = await measure(fn)
  process.stderr.write(` ${results[name].opsPerSec.toPrecision(4)} ops/s, ${results[name].opsPerCpuSec.toPrecision(4)} ops/cpu-s\n`)
}

// DagCborBench
{
  const post = samplePost()
  const encoded = encode(post)
  check.postBytes = encoded.length
  check.postCid = (await cidForLex(post)).toString()
  await run('DagCborBench.encode', () => encode(post))
  await run('DagCborBench.decode', () => decode(encoded))
  await run('DagCborBench.encodeAndCid', () => cidForLex(post))
}

// CidBench
{
  const block = encode({ $type: 'app.bsky.feed.like', text: 'x'.repeat(266) })
  if (block.length !== 300) throw new Error(`block is ${block.length} bytes`)
  const cid = await cidForCbor(block)
  const text = cid.toString()
  check.cid300 = text
  await run('CidBench.ofDagCbor', () => cidForCbor(block))
  await run('CidBench.format', () => decodeCid(cid.bytes).toString()) // fresh instance: toString is cached
  await run('CidBench.parse', () => parseCid(text))
}

// CryptoBench (size=200, K256): a random key; the message is new Random(42).nextBytes(new byte[200])
{
  const keypair = await Secp256k1Keypair.create()
  const message = new Uint8Array(200)
  new JavaRandom(42).nextBytes(message)
  check.messageSha256Prefix = Buffer.from(await crypto.subtle.digest('SHA-256', message)).toString('hex').slice(0, 16)
  const signature = await keypair.sign(message)
  const didKey = keypair.did()
  const publicKey = keypair.publicKeyBytes() // compressed, 33 bytes
  if (!(await verifySignature(didKey, message, signature))) throw new Error('signature does not verify')
  await run('CryptoBench.sign', () => keypair.sign(message))
  await run('CryptoBench.verify', () => verifySig(publicKey, message, signature))
  await run('CryptoBench.verifyFromDidKey', () => verifySignature(didKey, message, signature))
}

// MstBench (size=100000, updates=1000)
if (['MstBench.buildByAdds', 'MstBench.updates', 'MstBench.updatesWithNewBlocks'].some(want)) {
  const size = 100_000
  const { keys, values, updateKeys, updateValues } = await mstInputs(size, 1000)

  const buildByAdds = async () => {
    let mst = await MST.create(new MemoryBlockstore())
    for (let i = 0; i < size; i++) mst = await mst.add(keys[i], values[i])
    return mst.getPointer()
  }

  // The stored 100k tree the update benchmarks start from.
  const store = new MemoryBlockstore()
  let tree = await MST.create(store)
  for (let i = 0; i < size; i++) tree = await tree.add(keys[i], values[i])
  const { root: storedRoot, blocks } = await tree.getUnstoredBlocks()
  await store.putMany(blocks)
  tree = null
  check.mstRoot = storedRoot.toString()

  const updates = async () => {
    let mst = MST.load(store, storedRoot)
    for (let i = 0; i < updateKeys.length; i++) {
      mst = await mst.update(updateKeys[i], updateValues[i])
      await mst.getPointer()
    }
    return mst.getPointer()
  }

  const updatesWithNewBlocks = async () => {
    const written = new OverlayBlockstore(store)
    let mst = MST.load(written, storedRoot)
    let count = 0
    for (let i = 0; i < updateKeys.length; i++) {
      mst = await mst.update(updateKeys[i], updateValues[i])
      const { blocks: fresh } = await mst.getUnstoredBlocks()
      await written.putMany(fresh)
      count += fresh.size
    }
    return count
  }

  check.mstRootAfterUpdates = (await updates()).toString()
  await run('MstBench.buildByAdds', buildByAdds)
  await run('MstBench.updates', updates)
  await run('MstBench.updatesWithNewBlocks', updatesWithNewBlocks)
}

console.log(
  JSON.stringify(
    { node: process.version, warmup: WARMUP, iterations: ITERATIONS, seconds: SECONDS, check, results },
    null,
    2,
  ),
)
