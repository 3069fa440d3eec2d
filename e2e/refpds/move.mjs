// What the migration test and the migration benchmark share: the reference PDS network
// (ref-network.cjs, started under this Node.js runtime, which install.sh built its SQLite binding
// for), real PNGs, and the account move itself, in the order of `goat account migrate`.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { randomBytes } from 'node:crypto'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { deflateSync } from 'node:zlib'
import { AtpAgent } from '@atproto/api'
import { freePort } from '../lib/server.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const CAR = 'application/vnd.ipld.car'
export const CREATE_ACCOUNT = 'com.atproto.server.createAccount'


/**
 * Starts the reference network (its PLC directory and one PDS with Alice) and returns its first line
 * ({url, did, handle, password, plc, serviceDid}) with `ask(request)`, which sends one command line
 * and returns the answer line (see ref-network.cjs), and `stop()`.
 */
export async function startReference() {
  const port = await freePort()
  const proc = spawn(process.execPath, [join(HERE, 'ref-network.cjs')], { env: { ...process.env, PORT: String(port) },
    stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]()
  const exited = new Promise((_, reject) => proc.once('exit', (code) => reject(new Error(`reference PDS exited (${code})`))))
  const { value } = await Promise.race([lines.next(), exited])
  return {
    ...JSON.parse(value),
    async ask(req) {
      proc.stdin.write(JSON.stringify(req) + '\n')
      const { value } = await lines.next()
      const answer = JSON.parse(value)
      if (answer.error) throw new Error(`reference: ${answer.error}`)
      return answer
    },
    stop() {
      proc.stdin.end()
      if (proc.exitCode === null) proc.kill('SIGTERM')
    },
  }
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
/** A real w x h RGB PNG of one colour (the reference reads image dimensions; distinct colours, distinct blobs). */
export function png(w, h, [r, g, b]) {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(w * 3).map((_, i) => [r, g, b][i % 3])])
  const raw = Buffer.concat(Array.from({ length: h }, () => row))
  return new Uint8Array(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]))
}

/** A real side x side RGB PNG of random pixels: noise does not compress, so its size is about 3 x side² bytes. */
export function noisePng(side) {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(side, 0); ihdr.writeUInt32BE(side, 4); ihdr[8] = 8; ihdr[9] = 2
  const rows = []
  for (let y = 0; y < side; y++) rows.push(Buffer.from([0]), randomBytes(side * 3))
  return new Uint8Array(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]))
}

/** The service DID a host names in describeServer: the audience of the service token for its createAccount. */
export async function describeDid(url) {
  const res = await fetch(`${url}/xrpc/com.atproto.server.describeServer`)
  assert.equal(res.status, 200)
  return (await res.json()).did
}

/** Every record of the repository, as {uri: cid}, through listRecords of each collection. */
export async function allRecords(agent, did) {
  const { collections } = (await agent.com.atproto.repo.describeRepo({ repo: did })).data
  const out = {}
  for (const collection of collections) {
    let cursor
    do {
      const { data } = await agent.com.atproto.repo.listRecords({ repo: did, collection, limit: 100, cursor })
      for (const r of data.records) out[r.uri] = r.cid
      cursor = data.records.length ? data.cursor : undefined
    } while (cursor)
  }
  return out
}

export async function allBlobs(agent, did) {
  const out = []
  let cursor
  do {
    const { data } = await agent.com.atproto.sync.listBlobs({ did, limit: 100, cursor })
    out.push(...data.cids)
    cursor = data.cids.length ? data.cursor : undefined
  } while (cursor)
  return out.sort()
}

/**
 * The migration itself, in the order of `goat account migrate`, from `old` (logged in) to the host at
 * `newUrl`; `plcToken()` returns the token the old host sent after requestPlcOperationSignature.
 * `time(step, fn)` runs each of the new host's steps (the benchmark times them). Returns the new host's
 * agent, logged in, and the DID credentials it recommended.
 */
export async function migrate({ old, newUrl, did, handle, password, plcToken, time = (step, fn) => fn() }) {
  const newServiceDid = await describeDid(newUrl)
  const { data: { token: serviceToken } } = await old.com.atproto.server.getServiceAuth({ aud: newServiceDid, lxm: CREATE_ACCOUNT })
  const neu = new AtpAgent({ service: newUrl })
  await time('createAccount', async () => {
    await neu.createAccount({ did, handle, password, email: 'alice@example.com' },
      { headers: { authorization: `Bearer ${serviceToken}` } })
    await neu.login({ identifier: did, password })
  })
  const before = (await neu.com.atproto.server.checkAccountStatus()).data
  assert.equal(before.activated, false)

  const car = await time('export', async () => new Uint8Array((await old.com.atproto.sync.getRepo({ did })).data))
  await time('importRepo', () => neu.com.atproto.repo.importRepo(car, { encoding: CAR }))
  let cursor
  do {
    const { data } = await time('listMissingBlobs', () => neu.com.atproto.repo.listMissingBlobs({ limit: 100, cursor }))
    for (const { cid } of data.blobs) {
      const blob = await time('export', () => old.com.atproto.sync.getBlob({ did, cid }))
      await time('uploadBlob', () => neu.uploadBlob(new Uint8Array(blob.data), { encoding: blob.headers['content-type'] }))
    }
    cursor = data.blobs.length ? data.cursor : undefined
  } while (cursor)
  assert.equal((await neu.com.atproto.repo.listMissingBlobs()).data.blobs.length, 0)
  const { data: { preferences } } = await old.app.bsky.actor.getPreferences()
  await neu.app.bsky.actor.putPreferences({ preferences })

  const { data: creds } = await neu.com.atproto.identity.getRecommendedDidCredentials()
  await old.com.atproto.identity.requestPlcOperationSignature()
  const { data: { operation } } = await old.com.atproto.identity.signPlcOperation({ token: await plcToken(), ...creds })
  await time('submitPlcOperation', () => neu.com.atproto.identity.submitPlcOperation({ operation }))
  await time('activateAccount', () => neu.com.atproto.server.activateAccount())
  await old.com.atproto.server.deactivateAccount({})
  return { neu, creds, carBytes: car.length }
}

/** The old host's view of everything the move must carry. */
export async function snapshot(agent, did) {
  return {
    records: await allRecords(agent, did),
    blobs: await allBlobs(agent, did),
    preferences: (await agent.app.bsky.actor.getPreferences()).data.preferences,
  }
}

/** Everything `snap` (the old host's snapshot) holds is on the host `agent` is logged in to. */
export async function assertCarried(agent, did, snap) {
  assert.deepEqual(await allRecords(agent, did), snap.records)
  assert.deepEqual(await allBlobs(agent, did), snap.blobs)
  assert.deepEqual((await agent.app.bsky.actor.getPreferences()).data.preferences, snap.preferences)
}
