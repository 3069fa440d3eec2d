// The migration benchmark of BENCHMARKS.md: the time for a new host to take in an account of
// RECORDS records and BLOBS images, Alteran next to the reference PDS, in one run on one machine.
// Alice is filled on a reference PDS (the in-memory PLC directory of @atproto/dev-env, through
// ref-network.cjs), moves to Alteran, then on to a second, fresh reference PDS: both moves are the
// `goat account migrate` sequence (createAccount with a service token, importRepo, the missing blobs,
// preferences, the PLC operation, activateAccount), and each new host's steps are timed.
// Run by bench/migration.sh; prints a Markdown table and writes it to --out.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { writeFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createServer } from 'node:net'
import { deflateSync } from 'node:zlib'
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { AtpAgent } from '@atproto/api'
import { Secp256k1Keypair } from '@atproto/crypto'
import { startServer } from '../lib/server.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = args.indexOf('--' + name)
  return i >= 0 ? args[i + 1] : dflt
}
const RECORDS = Number(opt('records', 10_000))
const BLOBS = Number(opt('blobs', 200))
const BLOB_SIDE = Number(opt('blob-side', 128)) // a side x side RGB noise PNG: 48 KiB at 128
const OUT = opt('out', null)
const CAR = 'application/vnd.ipld.car'
const CREATE_ACCOUNT = 'com.atproto.server.createAccount'

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)) })
  })
}

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
function crc32(buf) {
  let c = 0xffffffff
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length)
  out.writeUInt32BE(data.length, 0)
  out.write(type, 4, 'latin1')
  data.copy(out, 8)
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length)
  return out
}
/** A real side x side RGB PNG of random pixels (the reference reads image dimensions; noise does not compress). */
function noisePng(side) {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(side, 0); ihdr.writeUInt32BE(side, 4); ihdr[8] = 8; ihdr[9] = 2
  const rows = []
  for (let y = 0; y < side; y++) rows.push(Buffer.from([0]), randomBytes(side * 3))
  return new Uint8Array(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]))
}

function progress(label, done, total) {
  if (!process.stderr.isTTY) return
  const width = 30
  const filled = Math.round((done / total) * width)
  process.stderr.write(`\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}`)
  if (done === total) process.stderr.write('\n')
}

let refProc, refLines
async function askRef(req) {
  refProc.stdin.write(JSON.stringify(req) + '\n')
  const { value } = await refLines.next()
  const answer = JSON.parse(value)
  if (answer.error) throw new Error(`reference: ${answer.error}`)
  return answer
}

async function serviceDidOf(url) {
  return (await (await fetch(`${url}/xrpc/com.atproto.server.describeServer`)).json()).did
}

/** Fills the account: RECORDS posts, BLOBS of them with an image. */
async function fill(agent, did) {
  const createdAt = new Date().toISOString()
  const writes = []
  for (let i = 0; i < BLOBS; i++) {
    const blob = (await agent.uploadBlob(noisePng(BLOB_SIDE), { encoding: 'image/png' })).data.blob
    writes.push({ text: `image ${i}`, createdAt, embed: { $type: 'app.bsky.embed.images',
      images: [{ alt: `image ${i}`, image: blob, aspectRatio: { width: BLOB_SIDE, height: BLOB_SIDE } }] } })
    progress('filling: blobs  ', i + 1, BLOBS)
  }
  while (writes.length < RECORDS) writes.push({ text: `post ${writes.length}`, createdAt })
  for (let i = 0; i < writes.length; i += 200) {
    await agent.com.atproto.repo.applyWrites({ repo: did, writes: writes.slice(i, i + 200).map((value) =>
      ({ $type: 'com.atproto.repo.applyWrites#create', collection: 'app.bsky.feed.post', value: { $type: 'app.bsky.feed.post', ...value } })) })
    progress('filling: records', Math.min(i + 200, writes.length), writes.length)
  }
  await agent.app.bsky.actor.putPreferences({ preferences: [{ $type: 'app.bsky.actor.defs#adultContentPref', enabled: false }] })
}

/**
 * One move, old -> new host, timing the new host's steps; the export (getRepo, getBlob) is timed
 * apart, since it is the old host's work.
 */
async function move({ old, newUrl, did, handle, password, plcToken }) {
  const t = {}
  const time = async (name, fn) => {
    const start = performance.now()
    const result = await fn()
    t[name] = (t[name] || 0) + (performance.now() - start)
    return result
  }
  const newServiceDid = await serviceDidOf(newUrl)
  const { data: { token } } = await old.com.atproto.server.getServiceAuth({ aud: newServiceDid, lxm: CREATE_ACCOUNT })
  const neu = new AtpAgent({ service: newUrl })
  await time('createAccount', () => neu.createAccount({ did, handle, password, email: 'alice@example.com' },
    { headers: { authorization: `Bearer ${token}` } }))
  await time('createAccount', () => neu.login({ identifier: did, password }))
  const car = await time('export', async () => new Uint8Array((await old.com.atproto.sync.getRepo({ did })).data))
  await time('importRepo', () => neu.com.atproto.repo.importRepo(car, { encoding: CAR }))
  let cursor, uploaded = 0
  do {
    const { data } = await time('blobs', () => neu.com.atproto.repo.listMissingBlobs({ limit: 100, cursor }))
    for (const { cid } of data.blobs) {
      const blob = await time('export', () => old.com.atproto.sync.getBlob({ did, cid }))
      await time('blobs', () => neu.uploadBlob(new Uint8Array(blob.data), { encoding: blob.headers['content-type'] }))
      progress(`moving to ${newUrl}: blobs`, ++uploaded, BLOBS)
    }
    cursor = data.blobs.length ? data.cursor : undefined
  } while (cursor)
  const { data: { preferences } } = await old.app.bsky.actor.getPreferences()
  await neu.app.bsky.actor.putPreferences({ preferences })
  const { data: creds } = await neu.com.atproto.identity.getRecommendedDidCredentials()
  await old.com.atproto.identity.requestPlcOperationSignature()
  const { data: { operation } } = await old.com.atproto.identity.signPlcOperation({ token: await plcToken(), ...creds })
  await time('plc', () => neu.com.atproto.identity.submitPlcOperation({ operation }))
  await time('activateAccount', () => neu.com.atproto.server.activateAccount())
  await old.com.atproto.server.deactivateAccount({})
  const status = (await neu.com.atproto.server.checkAccountStatus()).data
  if (!status.activated || !status.validDid || status.indexedRecords < RECORDS || status.importedBlobs !== BLOBS) {
    throw new Error(`the move did not carry everything: ${JSON.stringify(status)}`)
  }
  t.carBytes = car.length
  return { neu, t }
}

async function main() {
  const port = await freePort()
  refProc = spawn(process.env.REFPDS_NODE || 'node', [join(HERE, 'ref-network.cjs')],
    { env: { ...process.env, PORT: String(port) }, stdio: ['pipe', 'pipe', 'inherit'] })
  refLines = createInterface({ input: refProc.stdout })[Symbol.asyncIterator]()
  const ref = JSON.parse((await refLines.next()).value)
  let alteran
  try {
    const { did, handle } = ref
    const old = new AtpAgent({ service: ref.url })
    await old.login({ identifier: handle, password: ref.password })
    console.error(`bench: filling ${handle} on the reference PDS with ${RECORDS} records and ${BLOBS} images...`)
    await fill(old, did)

    const rotationKey = await Secp256k1Keypair.create({ exportable: true })
    // Alteran as a person runs it: request logs at INFO, no output checking.
    alteran = await startServer({
      PDS_DID: did, PDS_HANDLE: handle, PDS_PLC_URL: ref.plc, ALTERAN_LOG_LEVEL: 'INFO',
      PDS_PLC_ROTATION_KEY: Buffer.from(await rotationKey.export()).toString('hex'),
    }, { validateOutput: false })
    const toAlteran = await move({ old, newUrl: alteran.url, did, handle, password: alteran.password,
      plcToken: async () => (await askRef({ cmd: 'token', pds: 0, did, purpose: 'plc_operation' })).token })

    const next = await askRef({ cmd: 'pds', port: await freePort() })
    const toRef = await move({ old: toAlteran.neu, newUrl: next.url, did, handle, password: 'second-password',
      plcToken: async () => {
        const res = await fetch(`${alteran.url}/xrpc/com.atproto.identity.requestPlcOperationSignature`, { method: 'POST',
          headers: { authorization: `Bearer ${toAlteran.neu.session.accessJwt}` } })
        if (res.status !== 200) throw new Error(`requestPlcOperationSignature: ${res.status}`)
        return (await import('node:fs')).readFileSync(join(alteran.dataDir, 'plc-token.txt'), 'utf8').split('\n')[0]
      } })

    const s = (ms) => (ms / 1000).toFixed(2)
    const newHost = (t) => t.createAccount + t.importRepo + t.blobs + t.plc + t.activateAccount
    const rows = [
      ['createAccount + createSession', toAlteran.t.createAccount, toRef.t.createAccount],
      ['importRepo', toAlteran.t.importRepo, toRef.t.importRepo],
      [`${BLOBS} blobs (listMissingBlobs + uploadBlob)`, toAlteran.t.blobs, toRef.t.blobs],
      ['submitPlcOperation', toAlteran.t.plc, toRef.t.plc],
      ['activateAccount', toAlteran.t.activateAccount, toRef.t.activateAccount],
      ['**the new host in all**', newHost(toAlteran.t), newHost(toRef.t)],
    ]
    const table = [
      `Moving in an account of ${RECORDS.toLocaleString('en')} records and ${BLOBS} images (${BLOB_SIDE}x${BLOB_SIDE} PNG, ` +
        `${(toAlteran.t.carBytes / 1e6).toFixed(1)} MB CAR), seconds:`,
      '',
      '| Step on the new host | Alteran | Reference PDS | Ratio |',
      '|---|---:|---:|---:|',
      ...rows.map(([name, a, r]) => `| ${name} | ${s(a)} | ${s(r)} | ${(r / a).toFixed(1)}x |`),
      '',
      `Exporting (the old host's getRepo and getBlob): reference ${s(toAlteran.t.export)} s, Alteran ${s(toRef.t.export)} s.`,
    ].join('\n')
    console.log(table)
    if (OUT) writeFileSync(OUT, table + '\n')
  } finally {
    await alteran?.stop()
    refProc.stdin.end()
    if (refProc.exitCode === null) refProc.kill('SIGTERM')
  }
}

main().catch((e) => { console.error(e); process.exit(1) })
