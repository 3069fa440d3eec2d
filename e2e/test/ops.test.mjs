// Moving a repository in and out with the official libraries: a repository built and signed by
// @atproto/repo (with a key we then give Alteran as REPO_SIGNING_KEY, for Alteran's own DID) imports
// through com.atproto.repo.importRepo with @atproto/api; its blob is listed as missing until
// uploaded; account status reads right; and what Alteran serves (getRepo) and exports (alteran
// export) afterwards, with its own later commit, is accepted by @atproto/repo's verifyRepoCar. Refused imports leave the repository as it was.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { jsonToLex } from '@atproto/api'
import { Secp256k1Keypair } from '@atproto/crypto'
import { MemoryBlockstore, Repo, WriteOpAction, getFullRepo, concatBytesAsync, verifyRepoCar } from '@atproto/repo'
import { startServer, login, png } from '../lib/server.mjs'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const JAR = join(ROOT, 'server', 'target', 'alteran.jar')
const JAVA = process.env.ALTERAN_JAVA || 'java'
const POST = 'app.bsky.feed.post'
const RECORDS = 250

let server
let agent
let keypair

before(async () => {
  keypair = await Secp256k1Keypair.create({ exportable: true })
  const hex = Buffer.from(await keypair.export()).toString('hex')
  server = await startServer({ REPO_SIGNING_KEY: hex })
  agent = await login(server)
})
after(async () => { await server?.stop() })

/** The CID of a blob: CIDv1, raw codec, SHA-256, base32. */
function rawCid(bytes) {
  const digest = createHash('sha256').update(bytes).digest()
  const cid = Buffer.concat([Buffer.from([0x01, 0x55, 0x12, 0x20]), digest])
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
  let out = 'b', bits = 0, value = 0
  for (const byte of cid) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) { out += alphabet[(value >>> (bits - 5)) & 31]; bits -= 5 }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31]
  return out
}

/** A repository of RECORDS posts for `did`, signed by `key`, the first embedding `image`; as a CAR. */
async function buildCar(did, key, image) {
  const storage = new MemoryBlockstore()
  const ref = jsonToLex({ $link: rawCid(image) })
  const writes = []
  for (let i = 0; i < RECORDS; i++) {
    const record = { $type: POST, text: `imported post ${i}`, createdAt: '2024-01-01T00:00:00.000Z' }
    if (i === 0) record.embed = { $type: 'app.bsky.embed.images', images: [{ alt: 'one', image: { $type: 'blob', ref, mimeType: 'image/png', size: image.length } }] }
    writes.push({ action: WriteOpAction.Create, collection: POST, rkey: `p${String(i).padStart(5, '0')}`, record })
  }
  const repo = await Repo.create(storage, did, key, writes)
  return { cid: repo.cid.toString(), car: await concatBytesAsync(getFullRepo(storage, repo.cid)) }
}

async function importRepo(car) {
  return agent.com.atproto.repo.importRepo(car, { encoding: 'application/vnd.ipld.car' })
}

async function headOf() {
  return (await agent.com.atproto.server.checkAccountStatus()).data
}

const image = png(4000)

test('refused imports (another DID, a truncated CAR) change nothing', async () => {
  const before = await headOf()
  const wrongDid = await buildCar('did:plc:ewvi7nxzyoun6zhxrhs64oiz', keypair, image)
  await assert.rejects(importRepo(wrongDid.car),
    (e) => e.status === 400 && /commit is for did:plc:ewvi7nxzyoun6zhxrhs64oiz/.test(e.message))
  const built = await buildCar(server.did, keypair, image)
  await assert.rejects(importRepo(built.car.slice(0, Math.floor(built.car.length / 2))),
    (e) => e.status === 400 && e.error === 'InvalidRequest' && /Invalid repository CAR/.test(e.message))
  const after = await headOf()
  assert.equal(after.repoCommit, before.repoCommit)
  assert.equal(after.indexedRecords, 0)
})

test('a repository built by @atproto/repo imports; its blob is missing until uploaded; ours verifies with @atproto/repo', async () => {
  const built = await buildCar(server.did, keypair, image)
  const res = await importRepo(built.car)
  assert.equal(res.success, true)

  const status = await headOf()
  assert.equal(status.repoCommit, built.cid)
  assert.equal(status.indexedRecords, RECORDS)
  assert.equal(status.expectedBlobs, 1)
  assert.equal(status.importedBlobs, 0)
  assert.equal(status.activated, true)
  assert.equal(status.privateStateValues, 0)

  const got = await agent.com.atproto.repo.getRecord({ repo: server.did, collection: POST, rkey: 'p00007' })
  assert.equal(got.data.value.text, 'imported post 7')
  const page = await agent.com.atproto.repo.listRecords({ repo: server.did, collection: POST, limit: 100 })
  assert.equal(page.data.records.length, 100)

  const missing = await agent.com.atproto.repo.listMissingBlobs()
  assert.deepEqual(missing.data.blobs, [{ cid: rawCid(image), recordUri: `at://${server.did}/${POST}/p00000` }])
  const uploaded = await agent.uploadBlob(image, { encoding: 'image/png' })
  assert.equal(uploaded.data.blob.ref.toString(), rawCid(image))
  assert.deepEqual((await agent.com.atproto.repo.listMissingBlobs()).data.blobs, [])
  assert.equal((await headOf()).importedBlobs, 1)

  // Alteran writes on top of the imported history; the whole repository still verifies with the
  // reference library, against the key we created.
  const post = await agent.post({ text: 'written by Alteran after the import', createdAt: new Date().toISOString() })
  const dir = mkdtempSync(join(tmpdir(), 'alteran-e2e-export-'))
  try {
    const out = join(dir, 'repo.car')
    const { stdout } = await promisify(execFile)(JAVA, ['-jar', JAR, 'export', '--data', server.dataDir, '--out', out],
      { env: { ...process.env, ALTERAN_LOG_LEVEL: 'WARN' } })
    assert.match(stdout, new RegExp(`exported \\S+ \\(rev \\S+\\): ${RECORDS + 1} records`))
    const verified = await verifyRepoCar(new Uint8Array(readFileSync(out)), server.did, keypair.did())
    assert.equal(verified.creates.length, RECORDS + 1)
    assert.ok(verified.creates.some((c) => `at://${server.did}/${c.collection}/${c.rkey}` === post.uri))
    assert.equal(verified.commit.rev > '', true)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }

  // getRepo serves the same repository, and @atproto/repo accepts it too.
  const served = await agent.com.atproto.sync.getRepo({ did: server.did })
  const fromSync = await verifyRepoCar(new Uint8Array(served.data), server.did, keypair.did())
  assert.equal(fromSync.creates.length, RECORDS + 1)

  // Another key's commit (an old host's) imports too: an active account signs the same tree again with
  // its own key, so what it serves and announces verifies against our key.
  const otherKey = await Secp256k1Keypair.create()
  const foreign = await buildCar(server.did, otherKey, image)
  assert.equal((await importRepo(foreign.car)).success, true)
  const resigned = await headOf()
  assert.notEqual(resigned.repoCommit, foreign.cid)
  assert.equal(resigned.indexedRecords, RECORDS)
  const again = await agent.com.atproto.sync.getRepo({ did: server.did })
  assert.equal((await verifyRepoCar(new Uint8Array(again.data), server.did, keypair.did())).creates.length, RECORDS)

  // Importing again replaces the repository: the post written here is gone. The CAR's commit is older than
  // the head, so it is signed again at a later rev, and the repository still verifies with our key.
  assert.equal((await importRepo(built.car)).success, true)
  const replaced = await headOf()
  assert.notEqual(replaced.repoCommit, built.cid)
  assert.ok(replaced.repoRev > resigned.repoRev)
  assert.equal(replaced.indexedRecords, RECORDS)
  const last = await agent.com.atproto.sync.getRepo({ did: server.did })
  assert.equal((await verifyRepoCar(new Uint8Array(last.data), server.did, keypair.did())).creates.length, RECORDS)
})

test('deactivate and activate through @atproto/api', async () => {
  await agent.com.atproto.server.deactivateAccount({})
  const session = await agent.com.atproto.server.getSession()
  assert.equal(session.data.active, false)
  assert.equal(session.data.status, 'deactivated')
  await assert.rejects(agent.post({ text: 'no', createdAt: new Date().toISOString() }),
    (e) => e.status === 401 && e.error === 'AccountDeactivated')
  await agent.com.atproto.server.activateAccount()
  assert.equal((await agent.com.atproto.server.getSession()).data.active, true)
  await agent.post({ text: 'yes', createdAt: new Date().toISOString() })
})
