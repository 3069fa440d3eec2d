// Blobs through the official client: upload, reference from a post, fetch byte-identical, list,
// then delete the post and collect garbage with the CLI (`alteran blobs gc --grace 0` on the same
// data directory, beside the running server), after which the blob is gone.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { AtpAgent } from '@atproto/api'
import { startServer, login, png } from '../lib/server.mjs'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const JAR = join(ROOT, 'server', 'target', 'alteran.jar')
const JAVA = process.env.ALTERAN_JAVA || 'java'

let server
let agent

before(async () => {
  server = await startServer()
  agent = await login(server)
})
after(async () => { await server?.stop() })

async function gc(grace) {
  const { stdout } = await promisify(execFile)(JAVA,
    ['-jar', JAR, 'blobs', 'gc', '--data', server.dataDir, '--grace', grace],
    { env: { ...process.env, ALTERAN_LOG_LEVEL: 'WARN' } })
  const m = stdout.match(/deleted (\d+) blobs/)
  assert.ok(m, stdout)
  return Number(m[1])
}

const blobFile = (cid) => join(server.dataDir, 'blobs', cid.slice(-2), cid)

test('upload, use in a post, fetch, list; delete the post and collect: gone', async () => {
  const data = png(40_000)
  const up = await agent.uploadBlob(data, { encoding: 'image/png' })
  const blob = up.data.blob
  const cid = blob.ref.toString()
  assert.match(cid, /^bafkrei[a-z2-7]+$/)
  assert.equal(blob.mimeType, 'image/png')
  assert.equal(blob.size, data.length)

  const post = await agent.post({
    text: 'a picture',
    createdAt: new Date().toISOString(),
    embed: { $type: 'app.bsky.embed.images', images: [{ alt: 'noise', image: blob }] },
  })

  const got = await agent.com.atproto.sync.getBlob({ did: server.did, cid })
  assert.ok(Buffer.from(got.data).equals(Buffer.from(data)), 'getBlob returns the uploaded bytes')
  const res = await fetch(`${server.url}/xrpc/com.atproto.sync.getBlob?did=${encodeURIComponent(server.did)}&cid=${cid}`)
  assert.equal(res.headers.get('content-type'), 'image/png')
  assert.equal(res.headers.get('content-length'), String(data.length))
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff')
  assert.equal(res.headers.get('content-security-policy'), "default-src 'none'; sandbox")
  await res.arrayBuffer()

  const listed = await agent.com.atproto.sync.listBlobs({ did: server.did })
  assert.ok(listed.data.cids.includes(cid))

  assert.ok(existsSync(blobFile(cid)))

  await agent.deletePost(post.uri)
  await assert.rejects(agent.com.atproto.sync.getBlob({ did: server.did, cid }),
    (e) => e.status === 400 && e.error === 'BlobNotFound')
  const after = await agent.com.atproto.sync.listBlobs({ did: server.did })
  assert.ok(!after.data.cids.includes(cid))

  // Released within the grace period: kept; with no grace: deleted, file and all.
  assert.equal(await gc('1h'), 0)
  assert.ok(existsSync(blobFile(cid)))
  assert.ok(await gc('0') >= 1)
  assert.ok(!existsSync(blobFile(cid)))
})

test('an executable cannot be uploaded as an image', async () => {
  const exe = new Uint8Array(randomBytes(2048))
  exe.set([0x7f, 0x45, 0x4c, 0x46]) // ELF
  await assert.rejects(agent.uploadBlob(exe, { encoding: 'image/png' }),
    (e) => e.status === 400 && e.error === 'InvalidMimeType')
})

test('uploadBlob needs a session', async () => {
  const anonymous = new AtpAgent({ service: server.url })
  await assert.rejects(anonymous.uploadBlob(png(100), { encoding: 'image/png' }), (e) => e.status === 401)
})

test('a service token from getServiceAuth uploads, as the app hands one to its video service', async () => {
  // The Bluesky app asks its PDS for a token addressed to the PDS itself (did:web:<host>) for
  // uploadBlob, and the video service uploads the processed video with it, without a session.
  const { did: serviceDid } = (await agent.com.atproto.server.describeServer()).data
  const { token } = (await agent.com.atproto.server.getServiceAuth({
    aud: serviceDid, lxm: 'com.atproto.repo.uploadBlob',
  })).data
  const video = new AtpAgent({ service: server.url })
  const data = png(3_000)
  const up = await video.com.atproto.repo.uploadBlob(data, {
    encoding: 'image/png', headers: { authorization: `Bearer ${token}` },
  })
  assert.equal(up.data.blob.size, data.length)
  // The same token names one method: it writes nothing else.
  await assert.rejects(video.com.atproto.repo.createRecord({
    repo: agent.session.did, collection: 'app.bsky.feed.post',
    record: { text: 'no', createdAt: new Date().toISOString() },
  }, { headers: { authorization: `Bearer ${token}` } }), (e) => e.status === 400 || e.status === 401)
})
