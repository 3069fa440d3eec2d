// Joins the JMH results (-rf json) with core.mjs's output into one table: operation, Java ops/s,
// Node ops/s, ratio; and the same per second of process CPU time (see CpuTimeProfiler). Also compares the check values both sides printed (CIDs of the post, the
// 300-byte block, the MST roots; the message digest), and fails if any differ: then the two sides
// did not do the same work and the ratios mean nothing.
//
// Usage: node report.mjs [--markdown] <results dir>: reads its *.jmh.json (JMH -rf json), *.jmh.log
// (JMH output) and *.node.json (core.mjs output) files.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const dir = process.argv.slice(2).find((a) => !a.startsWith('--'))
const markdown = process.argv.includes('--markdown')
const files = readdirSync(dir).map((f) => join(dir, f))
const read = (suffix) => files.filter((f) => f.endsWith(suffix))
const nodeRuns = read('.node.json').map((f) => JSON.parse(readFileSync(f, 'utf8')))
const node = {
  check: Object.assign({}, ...nodeRuns.map((r) => r.check)),
  results: Object.assign({}, ...nodeRuns.map((r) => r.results)),
}
const jmh = read('.jmh.json').flatMap((f) => JSON.parse(readFileSync(f, 'utf8')))
const jmhLogs = read('.jmh.log')

// Rows in the order of the issue; label, JMH benchmark, core.mjs operation.
const ROWS = [
  ['DAG-CBOR encode (post)', 'DagCborBench.encode'],
  ['DAG-CBOR decode (post)', 'DagCborBench.decode'],
  ['DAG-CBOR encode + CID (post)', 'DagCborBench.encodeAndCid'],
  ['CID of a 300-byte block', 'CidBench.ofDagCbor'],
  ['CID to string', 'CidBench.format'],
  ['CID parse', 'CidBench.parse'],
  ['MST build 100k keys from empty + root', 'MstBench.buildByAdds'],
  ['MST 1,000 updates on 100k, root after each', 'MstBench.updates'],
  ['MST 1,000 updates, also collecting new blocks', 'MstBench.updatesWithNewBlocks'],
  ['secp256k1 sign', 'CryptoBench.sign'],
  ['secp256k1 verify (key bytes)', 'CryptoBench.verify'],
  ['secp256k1 verify from did:key', 'CryptoBench.verifyFromDidKey'],
]

// JMH: throughput in ops/s, or average time in ms/op (MstBench); both turned into ops/s. The
// CpuTimeProfiler's secondary metric is already in ops per CPU-second.
const javaOps = {}
const javaCpuOps = {}
for (const r of jmh) {
  const name = r.benchmark.replace(/^dev\.alteran\.bench\./, '')
  const { score, scoreUnit } = r.primaryMetric
  const perSec = { 'ops/s': score, 's/op': 1 / score, 'ms/op': 1e3 / score, 'us/op': 1e6 / score, 'ns/op': 1e9 / score }[scoreUnit]
  if (perSec === undefined) throw new Error(`unexpected JMH unit ${scoreUnit} for ${name}`)
  javaOps[name] = perSec
  const cpu = Object.entries(r.secondaryMetrics ?? {}).find(([k]) => k.endsWith('cpu.ops'))
  if (cpu) javaCpuOps[name] = cpu[1].score
}

// Check values: "check key=value ..." lines in the JMH output against core.mjs's "check" object.
const javaCheck = {}
for (const line of jmhLogs.flatMap((f) => readFileSync(f, 'utf8').split('\n'))) {
  const m = line.match(/check (.*)$/)
  if (m) for (const kv of m[1].trim().split(/\s+/)) {
    const [k, v] = kv.split('=')
    javaCheck[k] = v
  }
}
const mismatches = []
for (const [k, v] of Object.entries(node.check)) {
  if (javaCheck[k] === undefined) continue // that benchmark was not run on the Java side
  if (String(v) !== javaCheck[k]) mismatches.push(`${k}: Java ${javaCheck[k]}, Node ${v}`)
}

const fmt = (x) => {
  if (x === undefined) return '-'
  if (x >= 100) return Math.round(x).toLocaleString('en-US')
  return x.toPrecision(3)
}
const ratio = (j, n) => (j && n ? (j / n).toFixed(1) + 'x' : '-')
const table = [['Operation', 'Java ops/s', 'Node ops/s', 'Java/Node', 'Java ops/CPU-s', 'Node ops/CPU-s', 'Java/Node (CPU)']]
for (const [label, name] of ROWS) {
  const j = javaOps[name]
  const n = node.results[name]?.opsPerSec
  const jc = javaCpuOps[name]
  const nc = node.results[name]?.opsPerCpuSec
  if (j === undefined && n === undefined) continue
  table.push([label, fmt(j), fmt(n), ratio(j, n), fmt(jc), fmt(nc), ratio(jc, nc)])
}

if (markdown) {
  const line = (cells) => '| ' + cells.join(' | ') + ' |'
  console.log(line(table[0]))
  console.log('| --- |' + ' ---: |'.repeat(table[0].length - 1))
  for (const row of table.slice(1)) console.log(line(row))
} else {
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)))
  for (const row of table) {
    console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '))
  }
}
console.log(`\nchecked equal on both sides: ${Object.keys(node.check).filter((k) => k in javaCheck).join(', ')}`)
if (mismatches.length) {
  console.error('CHECK MISMATCH (the two sides did different work):\n  ' + mismatches.join('\n  '))
  process.exit(1)
}
