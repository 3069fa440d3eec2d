// The soak run's command line (bench/soak.sh): runs lib/soak.mjs for --duration, prints the summary,
// writes the plot (SVG), the samples (CSV) and the summary into --out, and exits 1 unless it passed.
//   node tools/soak.mjs [--duration 30m] [--sample 5s] [--subscribers 50] [--write-rate 20] [--out DIR]
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { plotSvg, soak, summaryText } from '../lib/soak.mjs'

const args = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = args.indexOf('--' + name)
  return i >= 0 ? args[i + 1] : dflt
}
/** Seconds from 90, 90s, 10m or 1h. */
const seconds = (v) => {
  const m = /^(\d+(?:\.\d+)?)([smh]?)$/.exec(String(v))
  if (!m) throw new Error(`not a duration: ${v} (e.g. 90s, 10m, 1h)`)
  return Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600 }[m[2]]
}
const durationSec = seconds(opt('duration', '30m'))
const out = opt('out', 'results')
const result = await soak({
  durationSec,
  sampleSec: seconds(opt('sample', durationSec >= 600 ? '5s' : '2s')),
  subscribers: Number(opt('subscribers', 50)),
  writeRate: Number(opt('write-rate', 20)),
  maintenanceSec: Math.min(60, Math.max(10, durationSec / 3)),
  log: (line) => process.stderr.write(`soak: ${line}\n`),
})
const text = summaryText(result)
console.log(text)
mkdirSync(out, { recursive: true })
const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)
const minutes = (durationSec / 60).toFixed(durationSec < 600 ? 1 : 0)
writeFileSync(join(out, `soak-${stamp}.svg`), plotSvg(result.samples, `Alteran soak, ${minutes} min: memory and p99 latency`))
writeFileSync(join(out, `soak-${stamp}.txt`), text + '\n')
const cols = ['t', 'rss', 'rssAnon', 'heapCommitted', 'heapAfterGc', 'fds', 'threads', 'requests', 'p50', 'p95', 'p99']
writeFileSync(join(out, `soak-${stamp}.csv`), [cols.join(','), ...result.samples.map((s) => cols.map((c) => s[c]).join(','))].join('\n') + '\n')
console.log(`plot, samples and summary: ${join(out, `soak-${stamp}`)}.{svg,csv,txt}`)
process.exit(result.passed ? 0 : 1)
