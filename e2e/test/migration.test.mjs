// An account moving in, the way @atproto/api's account-migration guide does it: createAccount with the
// existing did:plc and a service token (made with @atproto/xrpc-server's createServiceJwt, signed by the
// old host's key, as the old PDS's getServiceAuth would), login, importRepo of a CAR @atproto/repo built and
// the old key signed, the blob, then activateAccount once the DID document names Alteran. A stand-in PLC
// directory on loopback serves the document (the DID is made up; the Java MigrationTest signs a real genesis).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { createHash, randomBytes } from 'node:crypto'
import { AtpAgent, jsonToLex } from '@atproto/api'
import { Secp256k1Keypair } from '@atproto/crypto'
import { createServiceJwt } from '@atproto/xrpc-server'
import { MemoryBlockstore, Repo, WriteOpAction, getFullRepo, concatBytesAsync, verifyRepoCar } from '@atproto/repo'
import { startServer, png, HANDLE, PASSWORD } from '../lib/server.mjs'

const POST = 'app.bsky.feed.post'
const RECORDS = 30
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'
const DID = 'did:plc:' + Array.from(randomBytes(24), (b) => BASE32[b % 32]).join('')

let plc, plcUrl, server, oldKey, newKey
let document

function didDoc(pds, key) {
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1', 'https://w3id.org/security/suites/secp256k1-2019/v1'],
    id: DID,
    alsoKnownAs: [`at://${HANDLE}`],
    verificationMethod: [{ id: `${DID}#atproto`, type: 'Multikey', controller: DID, publicKeyMultibase: key.did().slice('did:key:'.length) }],
    service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: pds }],
  }
}

before(async () => {
  oldKey = await Secp256k1Keypair.create()
  newKey = await Secp256k1Keypair.create({ exportable: true })
  document = didDoc('https://old-pds.example', oldKey)
  plc = createServer((req, res) => {
    if (req.url === `/${DID}`) {
      res.writeHead(200, { 'content-type': 'application/did+ld+json' })
      res.end(JSON.stringify(document))
    } else {
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end('{"message":"DID not registered"}')
    }
  })
  await new Promise((r) => plc.listen(0, '127.0.0.1', r))
  plcUrl = `http://127.0.0.1:${plc.address().port}`
  server = await startServer({ PDS_DID: DID, PDS_PLC_URL: plcUrl, REPO_SIGNING_KEY: Buffer.from(await newKey.export()).toString('hex') })
})

after(async () => {
  await server?.stop()
  plc?.close()
})

/** The CID of a blob: CIDv1, raw codec, SHA-256, base32. */
function rawCid(bytes) {
  const cid = Buffer.concat([Buffer.from([0x01, 0x55, 0x12, 0x20]), createHash('sha256').update(bytes).digest()])
  let out = 'b', bits = 0, value = 0
  for (const byte of cid) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) { out += BASE32[(value >>> (bits - 5)) & 31]; bits -= 5 }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31]
  return out
}

/** The old host's repository: RECORDS posts, the first with an image, committed and signed by the old key. */
async function oldRepo(image) {
  const storage = new MemoryBlockstore()
  const ref = { $type: 'blob', ref: jsonToLex({ $link: rawCid(image) }), mimeType: 'image/png', size: image.length }
  const writes = []
  for (let i = 0; i < RECORDS; i++) {
    const record = { $type: POST, text: `old post ${i}`, createdAt: new Date().toISOString() }
    if (i === 0) record.embed = { $type: 'app.bsky.embed.images', images: [{ alt: 'one', image: ref }] }
    writes.push({ action: WriteOpAction.Create, collection: POST, rkey: `p${String(i).padStart(5, '0')}`, record })
  }
  const repo = await Repo.create(storage, DID, oldKey, writes)
  return { cid: repo.cid.toString(), rev: repo.commit.rev, car: await concatBytesAsync(getFullRepo(storage, repo.cid)) }
}

test('an account moves in with @atproto/api, as the migration guide does it', async () => {
  const agent = new AtpAgent({ service: server.url })
  const describe = await agent.com.atproto.server.describeServer()
  const serviceJwt = await createServiceJwt({ iss: DID, aud: describe.data.did, lxm: 'com.atproto.server.createAccount', keypair: oldKey })

  // Without the token, or for another DID: refused.
  await assert.rejects(agent.com.atproto.server.createAccount({ handle: HANDLE, email: 'alice@example.com', password: PASSWORD, did: DID }),
    (e) => e.status === 401)
  const created = await agent.com.atproto.server.createAccount(
    { handle: HANDLE, email: 'alice@example.com', password: PASSWORD, did: DID },
    { headers: { authorization: `Bearer ${serviceJwt}` }, encoding: 'application/json' })
  assert.equal(created.data.did, DID)
  assert.equal(created.data.handle, HANDLE)

  await agent.login({ identifier: HANDLE, password: PASSWORD })
  assert.equal(agent.session.active, false)
  let status = (await agent.com.atproto.server.checkAccountStatus()).data
  assert.equal(status.activated, false)
  assert.equal(status.validDid, false)
  await assert.rejects(agent.post({ text: 'too early', createdAt: new Date().toISOString() }),
    (e) => e.status === 401 && e.error === 'AccountDeactivated')

  const image = png(3000)
  const old = await oldRepo(image)
  await agent.com.atproto.repo.importRepo(old.car, { encoding: 'application/vnd.ipld.car' })
  const missing = (await agent.com.atproto.repo.listMissingBlobs()).data.blobs
  assert.deepEqual(missing.map((b) => b.cid), [rawCid(image)])
  await agent.uploadBlob(image, { encoding: 'image/png' })
  status = (await agent.com.atproto.server.checkAccountStatus()).data
  assert.equal(status.repoCommit, old.cid)
  assert.equal(status.repoRev, old.rev)
  assert.equal(status.indexedRecords, RECORDS)
  assert.equal(status.expectedBlobs, 1)
  assert.equal(status.importedBlobs, 1)

  await assert.rejects(agent.com.atproto.server.activateAccount(),
    (e) => e.status === 400 && /does not match PDS public url/.test(e.message))
  document = didDoc(server.url, newKey)
  await agent.com.atproto.server.activateAccount()
  status = (await agent.com.atproto.server.checkAccountStatus()).data
  assert.equal(status.activated, true)
  assert.equal(status.validDid, true)
  assert.ok(status.repoRev > old.rev)

  // The repository is now under a commit Alteran's key signed, and writes go on.
  const post = await agent.post({ text: 'moved in', createdAt: new Date().toISOString() })
  const served = await agent.com.atproto.sync.getRepo({ did: DID })
  const verified = await verifyRepoCar(new Uint8Array(served.data), DID, newKey.did())
  assert.equal(verified.creates.length, RECORDS + 1)
  assert.ok(verified.creates.some((c) => `at://${DID}/${c.collection}/${c.rkey}` === post.uri))
})
