// The soak run (bench/soak.sh, and its 60-second version in test/soak.test.mjs): the packaged server,
// started with its defaults, under mixed load for a set time. Writes (creates, updates, deletes,
// applyWrites), reads, blob uploads and deletes, token refreshes, 50 firehose subscribers that
// disconnect and resume from their cursors, a relay-style consumer that checks every commit with
// @atproto/sync, and `alteran gc` and `alteran prune` on their own timers beside the server. It
// samples the server process over time (resident memory, heap after GC, open files, threads) and the
// latency of the load, and decides whether the run passed:
//   - zero 5xx (and zero other errors: 4xx, failed connections, firehose error frames),
//   - zero lost or reordered events: every subscriber sees seq n+1 after n across its reconnects, up
//     to the last event, and the relay verifies every commit,
//   - flat memory: see FLAT below,
//   - `alteran verify` passes on the data at the end.
import { execFile } from 'node:child_process'
import { readFileSync, readdirSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import { IdResolver, MemoryCache } from '@atproto/identity'
import { Firehose } from '@atproto/sync'
import { Subscription } from '@atproto/xrpc-server'
import { FIREHOSE } from './firehose.mjs'
import { startServer, png } from './server.mjs'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const JAR = join(ROOT, 'server', 'target', 'alteran.jar')
const JAVA = process.env.ALTERAN_JAVA || 'java'
const POST = 'app.bsky.feed.post'
const MiB = 1024 * 1024

/**
 * Flat memory, judged on the last third of the run against the middle third (the first third is
 * warm-up: class loading, JIT, caches filling), by medians of the samples:
 *   - the Java heap: the heap after GC (live data) grows by at most HEAP_GROWTH (+ HEAP_SLACK);
 *   - resident memory (VmRSS) grows by at most RSS_GROWTH, plus what the committed heap grew by
 *     between the two thirds. G1 commits more heap in steps when it sees fit (68 -> 224 MiB half-way
 *     through a 60-second run, with 19 MiB live), and the pages it then touches show in VmRSS without
 *     anything leaking; that growth is the JVM's sizing, bounded by -Xmx, and excused. Anything else
 *     that grows (threads, code, buffers, SQLite's own memory) is judged.
 */
export const FLAT = { HEAP_GROWTH: 0.25, HEAP_SLACK: 8 * MiB, RSS_GROWTH: 0.15 }

const errorName = (bytes) => {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)).error
  } catch {
    return undefined
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const median = (xs) => {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor((s.length - 1) / 2)]
}
const percentile = (sorted, p) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))])

/** Bytes from a JVM unified-logging size such as 24M or 1024K. */
function bytesOf(n, unit) {
  return Number(n) * ({ B: 1, K: 1024, M: MiB, G: 1024 * MiB }[unit] ?? 1)
}

/** The heap sizes after each collection the JVM logged (-Xlog:gc): "... 24M->8M(64M) ...". */
function heapAfterGc(logFile) {
  if (!existsSync(logFile)) return []
  const out = []
  for (const m of readFileSync(logFile, 'utf8').matchAll(/\[(\d+(?:\.\d+)?)s\].*?Pause.*?(\d+)([BKMG])->(\d+)([BKMG])\((\d+)([BKMG])\)/g)) {
    out.push({ uptimeSec: Number(m[1]), bytes: bytesOf(m[4], m[5]), committed: bytesOf(m[6], m[7]) })
  }
  return out
}

function procStatus(pid) {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8')
  const field = (name) => Number((text.match(new RegExp(`^${name}:\\s+(\\d+)`, 'm')) ?? [])[1])
  return { rss: field('VmRSS') * 1024, rssAnon: field('RssAnon') * 1024, threads: field('Threads') }
}

/**
 * Runs the soak for `durationSec` and returns { passed, failures, summary, samples }. `log` gets a
 * line now and then. `subscribers` firehose subscribers (50) each stay connected for a random
 * 1-`maxConnectedSec` seconds, then resume from their cursor.
 */
export async function soak({ durationSec = 1800, sampleSec = 5, subscribers = 50, writeRate = 20, maxConnectedSec = 10,
  maintenanceSec = 60, log = () => {} } = {}) {
  const work = mkdtempSync(join(tmpdir(), 'alteran-soak-'))
  const gcLog = join(work, 'gc.log')
  // The server's defaults, but for the rate limits (the load comes from one address, far faster than a
  // person) and the JVM's own GC log, read for the heap after each collection.
  const server = await startServer({ JAVA_TOOL_OPTIONS: `-Xlog:gc:file=${gcLog}:uptime` }, { validateOutput: false })
  try {
    return await run(server, gcLog, { durationSec, sampleSec, subscribers, writeRate, maxConnectedSec, maintenanceSec, log })
  } finally {
    await server.stop()
    rmSync(work, { recursive: true, force: true })
  }
}

async function run(server, gcLog, { durationSec, sampleSec, subscribers, writeRate, maxConnectedSec, maintenanceSec, log }) {
  const pid = server.pid
  const started = performance.now()
  const elapsed = () => (performance.now() - started) / 1000
  const failures = []
  const fail = (what) => {
    if (failures.length < 50) failures.push(`${elapsed().toFixed(1)}s: ${what}`)
    else if (failures.length === 50) failures.push('... (more failures not listed)')
  }
  const counts = { requests: 0, status5xx: 0, status4xx: 0, networkErrors: 0, writes: 0, reads: 0, blobs: 0, refreshes: 0,
    deletes: 0, gcRuns: 0, pruneRuns: 0, reconnects: 0, events: 0, relayCommits: 0 }
  let window = [] // latencies (ms) since the last sample
  const all = []
  let stopping = false

  let accessJwt, refreshJwt
  /** One XRPC call, timed; a 5xx, any other error status or a failed connection is a failure. */
  async function xrpc(method, { params, body, contentType, auth = 'access', allow = [] } = {}) {
    const url = new URL(`/xrpc/${method}`, server.url)
    for (const [k, v] of Object.entries(params ?? {})) url.searchParams.set(k, String(v))
    const headers = {}
    if (auth) headers.authorization = `Bearer ${auth === 'refresh' ? refreshJwt : accessJwt}`
    if (body !== undefined) headers['content-type'] = contentType ?? 'application/json'
    const t0 = performance.now()
    let res
    try {
      res = await fetch(url, { method: body === undefined && method !== 'com.atproto.server.refreshSession' ? 'GET' : 'POST', headers,
        body: body === undefined ? undefined : contentType ? body : JSON.stringify(body) })
      const bytes = new Uint8Array(await res.arrayBuffer())
      const ms = performance.now() - t0
      counts.requests++
      window.push(ms)
      all.push(ms)
      if (res.status >= 500) {
        counts.status5xx++
        fail(`${method}: ${res.status} ${new TextDecoder().decode(bytes).slice(0, 200)}`)
      } else if (res.status !== 200 && !allow.includes(errorName(bytes))) {
        counts.status4xx++
        fail(`${method}: ${res.status} ${new TextDecoder().decode(bytes).slice(0, 200)}`)
      }
      if (res.status !== 200) return null
      return res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(new TextDecoder().decode(bytes)) : bytes
    } catch (err) {
      counts.networkErrors++
      fail(`${method}: ${err.message}`)
      return null
    }
  }

  const session = await xrpc('com.atproto.server.createSession', { auth: null, body: { identifier: server.handle, password: server.password } })
  accessJwt = session.accessJwt
  refreshJwt = session.refreshJwt
  const did = server.did

  // ---- firehose: raw subscribers that reconnect from their cursor, and a relay-style consumer ----
  // Both start from the beginning of the log (cursor 0: a few events at this point).
  const subs = []
  const commitSeqs = [] // every commit with ops, as subscriber 0 saw them: the relay must check each
  for (let i = 0; i < subscribers; i++) {
    subs.push({ id: i, cursor: 0, last: null, seen: 0, lost: 0, reordered: 0, info: 0, catchUp: undefined })
  }
  /** Connects, reads for a while, disconnects, resumes from its cursor; until it has read up to `catchUp`. */
  async function runSubscriber(s) {
    for (;;) {
      if (s.catchUp !== undefined && s.last >= s.catchUp) return
      const ac = new AbortController()
      const connectedMs = 1000 + Math.random() * (maxConnectedSec - 1) * 1000
      const timer = setTimeout(() => ac.abort(), connectedMs)
      const sub = new Subscription({
        service: server.url.replace('http://', 'ws://'),
        method: FIREHOSE,
        signal: ac.signal,
        getParams: () => ({ cursor: s.cursor }),
        validate: (v) => v,
      })
      try {
        for await (const evt of sub) {
          if (typeof evt.seq !== 'number') {
            s.info++
            fail(`subscriber ${s.id}: ${evt.$type} ${evt.name ?? ''} ${evt.message ?? ''}`)
            continue
          }
          counts.events++
          if (s.last !== null) {
            if (evt.seq <= s.last) {
              s.reordered++
              fail(`subscriber ${s.id}: seq ${evt.seq} after ${s.last}`)
            } else if (evt.seq !== s.last + 1) {
              s.lost += evt.seq - s.last - 1
              fail(`subscriber ${s.id}: seq ${evt.seq} after ${s.last}, ${evt.seq - s.last - 1} lost`)
            }
          }
          if (s.id === 0 && evt.$type === `${FIREHOSE}#commit` && evt.ops?.length > 0) commitSeqs.push(evt.seq)
          s.last = Math.max(s.last ?? 0, evt.seq)
          s.cursor = s.last
          s.seen++
          if (s.catchUp !== undefined && s.last >= s.catchUp) break
        }
      } catch (err) {
        if (err?.name !== 'AbortError') fail(`subscriber ${s.id}: ${err.message ?? err}`)
      } finally {
        clearTimeout(timer)
        ac.abort()
      }
      counts.reconnects++
    }
  }

  const relay = { commits: new Set(), errors: 0, lastSeq: 0 }
  // A relay keeps DID documents in a cache and refetches one only when a signature fails to verify.
  // Without the cache every commit refetched ours, and on a loaded CI machine one fetch outlived the
  // resolver's default 3 s and was counted as an unverified commit.
  const idResolver = new IdResolver({ fetch: globalThis.fetch, didCache: new MemoryCache(), timeout: 30_000 })
  const firehose = new Firehose({
    idResolver,
    service: server.url.replace('http://', 'ws://'),
    getCursor: () => relay.lastSeq,
    unauthenticatedHandles: true, // alice.test does not resolve; commits are checked (signature, MST proofs)
    handleEvent: async (evt) => {
      relay.lastSeq = Math.max(relay.lastSeq, evt.seq)
      if (evt.event === 'create' || evt.event === 'update' || evt.event === 'delete') {
        if (!relay.commits.has(evt.seq)) counts.relayCommits++
        relay.commits.add(evt.seq)
      }
    },
    onError: (err) => {
      relay.errors++
      fail(`relay: ${err.message}: ${err.cause?.message ?? err.cause ?? ''}`)
    },
  })
  const relayRun = firehose.start()

  // ---- load ----
  const live = [] // rkeys of posts, oldest first; the oldest are deleted to keep the repository steady
  const withBlob = [] // rkeys of posts that embed an uploaded blob
  const rkeyOf = (uri) => uri.split('/').pop() // the server picks each new record's key (a TID)
  const createdAt = () => new Date().toISOString()
  const pace = (perSec) => sleep(1000 / perSec)
  let stopped
  const stop = new Promise((r) => { stopped = r })
  /** A sleep that ends early when the load stops. */
  const wait = (ms) => Promise.race([sleep(ms), stop])

  async function writer() {
    while (!stopping) {
      const r = Math.random()
      if (r < 0.6 || live.length < 20) {
        const out = await xrpc('com.atproto.repo.createRecord', { body: { repo: did, collection: POST,
          record: { $type: POST, text: `soak ${counts.writes}`, createdAt: createdAt() } } })
        if (out) live.push(rkeyOf(out.uri))
      } else if (r < 0.75) {
        const rkey = live[Math.floor(Math.random() * live.length)]
        await xrpc('com.atproto.repo.putRecord', { body: { repo: did, collection: POST, rkey,
          record: { $type: POST, text: `soak ${rkey} edited`, createdAt: createdAt() } } })
      } else if (r < 0.85) {
        const out = await xrpc('com.atproto.repo.applyWrites', { body: { repo: did, writes: [1, 2, 3].map((i) => ({
          $type: 'com.atproto.repo.applyWrites#create', collection: POST,
          value: { $type: POST, text: `batch ${counts.writes}.${i}`, createdAt: createdAt() } })) } })
        if (out) live.push(...out.results.map((r) => rkeyOf(r.uri)))
      } else if (live.length > 0) {
        const rkey = live.shift()
        if (await xrpc('com.atproto.repo.deleteRecord', { body: { repo: did, collection: POST, rkey } })) counts.deletes++
      }
      while (live.length > 300) {
        const rkey = live.shift()
        if (await xrpc('com.atproto.repo.deleteRecord', { body: { repo: did, collection: POST, rkey } })) counts.deletes++
      }
      counts.writes++
      await pace(writeRate)
    }
  }

  async function blobs() {
    while (!stopping) {
      const bytes = png(2048 + Math.floor(Math.random() * 30_000))
      const out = await xrpc('com.atproto.repo.uploadBlob', { body: bytes, contentType: 'image/png' })
      if (out) {
        const ok = await xrpc('com.atproto.repo.createRecord', { body: { repo: did, collection: POST, record: {
          $type: POST, text: 'with an image', createdAt: createdAt(),
          embed: { $type: 'app.bsky.embed.images', images: [{ alt: '', image: out.blob }] } } } })
        if (ok) withBlob.push({ rkey: rkeyOf(ok.uri), cid: out.blob.ref.$link })
        counts.blobs++
      }
      // The oldest image posts go, so their blobs become unreferenced and gc deletes them after the grace period.
      while (withBlob.length > 20) {
        const { rkey } = withBlob.shift()
        if (await xrpc('com.atproto.repo.deleteRecord', { body: { repo: did, collection: POST, rkey } })) counts.deletes++
      }
      if (withBlob.length > 0) {
        const { cid } = withBlob[Math.floor(Math.random() * withBlob.length)]
        await xrpc('com.atproto.sync.getBlob', { params: { did, cid }, auth: null })
      }
      await pace(2)
    }
  }

  async function reader() {
    let n = 0
    while (!stopping) {
      const rkey = live[Math.floor(Math.random() * live.length)]
      switch (n++ % 6) {
        case 0: await xrpc('com.atproto.repo.listRecords', { params: { repo: did, collection: POST, limit: 50 }, auth: null }); break
        case 1: if (rkey) await xrpc('com.atproto.repo.getRecord', { params: { repo: did, collection: POST, rkey }, auth: null, allow: ['RecordNotFound'] }); break
        case 2: await xrpc('com.atproto.repo.describeRepo', { params: { repo: did }, auth: null }); break
        case 3: if (rkey) await xrpc('com.atproto.sync.getRecord', { params: { did, collection: POST, rkey }, auth: null, allow: ['RecordNotFound'] }); break
        case 4: await xrpc('com.atproto.server.getSession'); break
        default: if (n % 60 === 5) await xrpc('com.atproto.sync.getRepo', { params: { did }, auth: null }); else await xrpc('com.atproto.sync.getLatestCommit', { params: { did }, auth: null })
      }
      counts.reads++
      await pace(20)
    }
  }

  async function refresher() {
    while (!stopping) {
      await wait(5000)
      if (stopping) break
      const out = await xrpc('com.atproto.server.refreshSession', { auth: 'refresh' })
      if (out) {
        accessJwt = out.accessJwt
        refreshJwt = out.refreshJwt
        counts.refreshes++
      }
    }
  }

  /** `alteran gc` and `alteran prune` beside the running server, as an owner's cron would run them. */
  async function maintenance() {
    let turn = 0
    while (!stopping) {
      await wait(maintenanceSec * 500)
      if (stopping) break
      const args = turn++ % 2 === 0 ? ['gc', '--grace', '30s'] : ['prune', '--keep', '5000']
      try {
        await cli(...args)
        if (args[0] === 'gc') counts.gcRuns++
        else counts.pruneRuns++
      } catch (err) {
        fail(`alteran ${args.join(' ')}: ${err.stderr || err.message}`)
      }
    }
  }
  /** An `alteran` command on the server's data, with its settings (dev.env holds the secrets `dev` made). */
  const cli = (...args) => {
    const e = { ...server.env, ALTERAN_LOG_LEVEL: 'WARN', ALTERAN_ENV: 'dev' }
    delete e.JAVA_TOOL_OPTIONS
    return promisify(execFile)(JAVA, ['-jar', JAR, ...args, '--data', server.dataDir, '--env-file', join(server.dataDir, 'dev.env')], { env: e })
  }

  // ---- sampling ----
  const samples = []
  async function sampler() {
    while (!stopping) {
      await wait(sampleSec * 1000)
      if (stopping) break
      const t = elapsed()
      const status = procStatus(pid)
      let fds = NaN
      try { fds = readdirSync(`/proc/${pid}/fd`).length } catch {}
      const gcs = heapAfterGc(gcLog)
      const lat = window.sort((a, b) => a - b)
      window = []
      samples.push({ t, rss: status.rss, rssAnon: status.rssAnon, threads: status.threads, fds,
        heapAfterGc: gcs.length ? gcs[gcs.length - 1].bytes : NaN, heapCommitted: gcs.length ? gcs[gcs.length - 1].committed : NaN,
        gcCount: gcs.length, requests: lat.length, p50: percentile(lat, 0.5), p95: percentile(lat, 0.95), p99: percentile(lat, 0.99) })
      const s = samples[samples.length - 1]
      log(`${t.toFixed(0)}s rss ${(s.rss / MiB).toFixed(0)} MiB, heap after GC ${(s.heapAfterGc / MiB).toFixed(0)} MiB, ` +
        `fds ${s.fds}, threads ${s.threads}, ${s.requests} req p50/p99 ${s.p50.toFixed(1)}/${s.p99.toFixed(1)} ms, ` +
        `events ${counts.events}, relay commits ${counts.relayCommits}, failures ${failures.length}`)
    }
  }

  const readers = subs.map(runSubscriber)
  const load = [writer(), writer(), blobs(), reader(), refresher(), maintenance(), sampler()]
  await sleep(durationSec * 1000)
  stopping = true
  stopped()
  await Promise.all(load)
  // Nothing else writes any more. One last commit marks the end: its seq is the newest, and every
  // subscriber reads up to it (reconnecting from its cursor once more if it must). It is found by its
  // rev, not by waiting for the stream to go quiet: a busy test process may take seconds to read it.
  const marker = await xrpc('com.atproto.repo.createRecord', { body: { repo: did, collection: POST,
    record: { $type: POST, text: 'soak end', createdAt: createdAt() } } })
  const last = marker ? await seqOfRev(server.url, Math.max(0, ...subs.map((s) => s.last ?? 0)), marker.commit.rev) : 0
  for (const s of subs) s.catchUp = last
  const deadline = sleep(60_000).then(() => 'timeout')
  if ((await Promise.race([Promise.all(readers), deadline])) === 'timeout') fail('subscribers did not reach the last event within 60 s')
  for (let i = 0; i < 600 && relay.lastSeq < last; i++) await sleep(100)
  await firehose.destroy()
  await relayRun
  for (const s of subs) {
    if (s.last !== last) fail(`subscriber ${s.id} ended at seq ${s.last}, not ${last}`)
  }
  if (relay.lastSeq < last) fail(`the relay ended at seq ${relay.lastSeq}, not ${last}`)
  const unchecked = commitSeqs.filter((seq) => !relay.commits.has(seq))
  if (unchecked.length > 0) fail(`the relay did not check ${unchecked.length} commits, e.g. seq ${unchecked.slice(0, 5).join(', ')}`)

  // ---- the end: verify, judge ----
  let verify = { ok: false, output: '' }
  try {
    const { stdout } = await cli('verify')
    verify = { ok: true, output: stdout.trim() }
  } catch (err) {
    verify = { ok: false, output: `${err.stdout ?? ''}${err.stderr ?? err.message}`.trim() }
    fail(`alteran verify: ${verify.output.slice(0, 500)}`)
  }

  const third = samples.length / 3
  const middle = samples.slice(Math.floor(third), Math.floor(2 * third))
  const lastThird = samples.slice(Math.floor(2 * third))
  const med = (xs, f) => median(xs.map(f).filter(Number.isFinite))
  const flat = {
    rssMiddle: med(middle, (s) => s.rss), rssLast: med(lastThird, (s) => s.rss),
    heapMiddle: med(middle, (s) => s.heapAfterGc), heapLast: med(lastThird, (s) => s.heapAfterGc),
    committedMiddle: med(middle, (s) => s.heapCommitted), committedLast: med(lastThird, (s) => s.heapCommitted),
  }
  flat.heapOk = flat.heapLast <= flat.heapMiddle * (1 + FLAT.HEAP_GROWTH) + FLAT.HEAP_SLACK // false when NaN (no GC seen)
  flat.rssAllowed = flat.rssMiddle * (1 + FLAT.RSS_GROWTH) + Math.max(0, flat.committedLast - flat.committedMiddle)
  flat.rssOk = flat.rssLast <= flat.rssAllowed
  const mib = (b) => `${(b / MiB).toFixed(1)} MiB`
  if (samples.length < 6) fail(`only ${samples.length} samples: too short a run to judge memory`)
  if (!flat.heapOk) fail(`memory not flat: heap after GC median ${mib(flat.heapLast)} in the last third, ${mib(flat.heapMiddle)} in the middle`)
  if (!flat.rssOk) fail(`memory not flat: RSS median ${mib(flat.rssLast)} in the last third, over the ${mib(flat.rssAllowed)} allowed after ${mib(flat.rssMiddle)} in the middle`)
  const lost = subs.reduce((n, s) => n + s.lost, 0)
  const reordered = subs.reduce((n, s) => n + s.reordered, 0)
  if (counts.gcRuns === 0 || counts.pruneRuns === 0) fail(`gc ran ${counts.gcRuns} times, prune ${counts.pruneRuns}: both must run`)
  if (counts.relayCommits === 0) fail('the relay checked no commits')

  const sorted = all.sort((a, b) => a - b)
  const summary = {
    durationSec: Math.round(elapsed()), ...counts, commits: commitSeqs.length, lastSeq: last, lost, reordered, relayErrors: relay.errors,
    p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1] ?? 0,
    heapCommittedEnd: samples[samples.length - 1]?.heapCommitted,
    rssStart: samples[0]?.rss, rssEnd: samples[samples.length - 1]?.rss, rssMax: Math.max(...samples.map((s) => s.rss)),
    heapAfterGcStart: samples.find((s) => Number.isFinite(s.heapAfterGc))?.heapAfterGc, heapAfterGcEnd: samples[samples.length - 1]?.heapAfterGc,
    fdsStart: samples[0]?.fds, fdsEnd: samples[samples.length - 1]?.fds, threadsStart: samples[0]?.threads, threadsEnd: samples[samples.length - 1]?.threads,
    flat, verify: verify.output.split('\n').slice(-3).join(' | '),
  }
  return { passed: failures.length === 0, failures, summary, samples }
}

/** The newest seq in the log: replayed from `from` until the stream has been quiet for a second. */
/** The seq of the commit with this rev, read from the firehose after `from` (within 60 s). */
async function seqOfRev(url, from, rev) {
  const ac = new AbortController()
  const timer = setTimeout(() => ac.abort(), 60_000)
  const sub = new Subscription({ service: url.replace('http://', 'ws://'), method: FIREHOSE, signal: ac.signal,
    getParams: () => ({ cursor: from }), validate: (v) => v })
  try {
    for await (const evt of sub) {
      if (evt.rev === rev && typeof evt.seq === 'number') return evt.seq
    }
  } catch (err) {
    if (err?.name !== 'AbortError') throw err
  } finally {
    clearTimeout(timer)
    ac.abort()
  }
  throw new Error(`the firehose did not carry the last commit (rev ${rev}) within 60 s`)
}

/** An SVG of resident memory and heap after GC (MiB, left) and p99 latency (ms, right) over the run. */
export function plotSvg(samples, title) {
  const W = 900, H = 420, L = 60, R = 60, T = 40, B = 50
  const pw = W - L - R, ph = H - T - B
  const tMax = Math.max(1, ...samples.map((s) => s.t))
  const memMax = Math.max(1, ...samples.map((s) => s.rss / MiB)) * 1.1
  const latMax = Math.max(1, ...samples.map((s) => s.p99)) * 1.1
  const x = (t) => L + (t / tMax) * pw
  const yMem = (v) => T + ph - (v / memMax) * ph
  const yLat = (v) => T + ph - (v / latMax) * ph
  const line = (pts, color, dash = '') =>
    `<polyline fill="none" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ')}"/>`
  const rss = samples.map((s) => [x(s.t), yMem(s.rss / MiB)])
  const heap = samples.filter((s) => Number.isFinite(s.heapAfterGc)).map((s) => [x(s.t), yMem(s.heapAfterGc / MiB)])
  const committed = samples.filter((s) => Number.isFinite(s.heapCommitted)).map((s) => [x(s.t), yMem(s.heapCommitted / MiB)])
  const p99 = samples.map((s) => [x(s.t), yLat(s.p99)])
  const ticks = []
  for (let i = 0; i <= 5; i++) {
    const f = i / 5
    ticks.push(`<line x1="${L}" x2="${L + pw}" y1="${T + ph - f * ph}" y2="${T + ph - f * ph}" stroke="#ddd"/>`)
    ticks.push(`<text x="${L - 6}" y="${T + ph - f * ph + 4}" text-anchor="end">${(f * memMax).toFixed(0)}</text>`)
    ticks.push(`<text x="${L + pw + 6}" y="${T + ph - f * ph + 4}">${(f * latMax).toFixed(0)}</text>`)
    ticks.push(`<text x="${L + f * pw}" y="${T + ph + 18}" text-anchor="middle">${((f * tMax) / 60).toFixed(1)}</text>`)
  }
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}</text>
${ticks.join('\n')}
<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>
${line(rss, '#1f77b4')}
${heap.length ? line(heap, '#2ca02c') : ''}
${committed.length ? line(committed, '#9467bd', '2 2') : ''}
${line(p99, '#d62728', '4 3')}
<text x="${W / 2}" y="${H - 12}" text-anchor="middle">minutes</text>
<text x="16" y="${T + ph / 2}" transform="rotate(-90 16 ${T + ph / 2})" text-anchor="middle">MiB</text>
<text x="${W - 14}" y="${T + ph / 2}" transform="rotate(90 ${W - 14} ${T + ph / 2})" text-anchor="middle">p99 latency, ms</text>
<g transform="translate(${L + 10},${T + 10})">
<rect width="250" height="76" fill="white" stroke="#ccc"/>
<line x1="8" x2="30" y1="14" y2="14" stroke="#1f77b4" stroke-width="2"/><text x="36" y="18">resident memory (VmRSS)</text>
<line x1="8" x2="30" y1="32" y2="32" stroke="#2ca02c" stroke-width="2"/><text x="36" y="36">heap after GC</text>
<line x1="8" x2="30" y1="50" y2="50" stroke="#9467bd" stroke-width="2" stroke-dasharray="2 2"/><text x="36" y="54">committed heap</text>
<line x1="8" x2="30" y1="68" y2="68" stroke="#d62728" stroke-width="2" stroke-dasharray="4 3"/><text x="36" y="72">p99 latency of the load (right axis)</text>
</g>
</svg>
`
}

/** The summary as text lines. */
export function summaryText({ passed, failures, summary: s }) {
  const mib = (b) => (Number.isFinite(b) ? `${(b / MiB).toFixed(1)} MiB` : 'n/a')
  const lines = [
    `soak ${passed ? 'PASSED' : 'FAILED'} after ${s.durationSec} s`,
    `requests ${s.requests} (writes ${s.writes}, reads ${s.reads}, blob uploads ${s.blobs}, deletes ${s.deletes}, refreshes ${s.refreshes}); 5xx ${s.status5xx}, other error statuses ${s.status4xx}, failed connections ${s.networkErrors}`,
    `latency p50 ${s.p50.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms`,
    `firehose: ${s.events} events to the subscribers over ${s.reconnects} reconnects, last seq ${s.lastSeq}; lost ${s.lost}, reordered ${s.reordered}; relay verified ${s.relayCommits} of ${s.commits} commits, ${s.relayErrors} errors`,
    `maintenance: alteran gc ${s.gcRuns} times, alteran prune ${s.pruneRuns} times`,
    `memory: RSS ${mib(s.rssStart)} at the first sample, ${mib(s.rssEnd)} at the last (max ${mib(s.rssMax)}); heap after GC ${mib(s.heapAfterGcStart)} -> ${mib(s.heapAfterGcEnd)}; committed heap at the end ${mib(s.heapCommittedEnd)}`,
    `flat (medians, middle third -> last third): heap after GC ${mib(s.flat.heapMiddle)} -> ${mib(s.flat.heapLast)} ${s.flat.heapOk ? 'ok' : 'GROWING'}; ` +
      `RSS ${mib(s.flat.rssMiddle)} -> ${mib(s.flat.rssLast)} (at most ${mib(s.flat.rssAllowed)}: committed heap ${mib(s.flat.committedMiddle)} -> ${mib(s.flat.committedLast)}) ${s.flat.rssOk ? 'ok' : 'GROWING'}`,
    `open files ${s.fdsStart} -> ${s.fdsEnd}, threads ${s.threadsStart} -> ${s.threadsEnd}`,
    `alteran verify: ${s.verify}`,
  ]
  if (failures.length) lines.push('failures:', ...failures.map((f) => `  ${f}`))
  return lines.join('\n')
}
