// Identity through the official clients: our DID document's key (parsed by @atproto/identity)
// verifies a fetched repository; resolveHandle answers our DID; updateHandle refuses invalid handles
// and shows up on the firehose as an #identity event that @atproto/sync parses.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { IdResolver, getKey } from '@atproto/identity'
import { verifyRepoCar } from '@atproto/repo'
import { parseIdentity } from '@atproto/sync'
import { Subscription } from '@atproto/xrpc-server'
import { startServer, login } from '../lib/server.mjs'

let server
let agent

before(async () => {
  server = await startServer()
  agent = await login(server)
})
after(async () => { await server?.stop() })

test('the DID document key, parsed by @atproto/identity, verifies our repository', async () => {
  await agent.com.atproto.repo.createRecord({
    repo: server.did,
    collection: 'app.bsky.feed.post',
    record: { $type: 'app.bsky.feed.post', text: 'signed by the key in did.json', createdAt: new Date().toISOString() },
  })
  const doc = await (await fetch(`http://localhost:${server.port}/.well-known/did.json`)).json()
  assert.equal(doc.id, server.did)
  const key = getKey(doc)
  assert.match(key, /^did:key:zQ3s/)
  const car = await agent.com.atproto.sync.getRepo({ did: server.did })
  const verified = await verifyRepoCar(new Uint8Array(car.data), server.did, key)
  assert.ok(verified.creates.some((c) => c.collection === 'app.bsky.feed.post'))
  await assert.rejects(verifyRepoCar(new Uint8Array(car.data), server.did, 'did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme'))
})

test('resolveHandle of our handle returns our DID', async () => {
  const res = await agent.com.atproto.identity.resolveHandle({ handle: server.handle })
  assert.equal(res.data.did, server.did)
})

test('updateHandle refuses invalid handles and changes nothing', async () => {
  for (const handle of ['john..test', 'jo_hn.test', '-john.test', 'john.0', 'a'.repeat(64) + '.test', 'xn--ls8h.test.']) {
    await assert.rejects(agent.com.atproto.identity.updateHandle({ handle }), (err) => {
      assert.equal(err.status, 400, handle)
      return true
    })
  }
  const res = await agent.com.atproto.identity.resolveHandle({ handle: server.handle })
  assert.equal(res.data.did, server.did)
})

test('updateHandle shows up as an #identity event parsed by @atproto/sync', async () => {
  const start = await agent.com.atproto.sync.getLatestCommit({ did: server.did })
  assert.ok(start.data.rev)
  await agent.com.atproto.identity.updateHandle({ handle: 'bob.test' })
  // Replayed from the start (cursor 0), so the event is there whenever the subscription opens; the
  // first #identity is the account's creation, with the old handle.
  const ac = new AbortController()
  const timer = setTimeout(() => ac.abort(), 30_000)
  const sub = new Subscription({
    service: server.url.replace('http://', 'ws://'),
    method: 'com.atproto.sync.subscribeRepos',
    signal: ac.signal,
    getParams: () => ({ cursor: 0 }),
    validate: (v) => v,
  })
  let found
  try {
    for await (const evt of sub) {
      if (evt.$type?.endsWith('#identity') && evt.handle === 'bob.test') {
        found = evt
        break
      }
    }
  } catch (err) {
    if (err?.name !== 'AbortError') throw err
  } finally {
    clearTimeout(timer)
    ac.abort()
  }
  assert.ok(found, 'an #identity event arrived')
  assert.equal(found.did, server.did)
  assert.equal(found.handle, 'bob.test')
  const parsed = await parseIdentity(new IdResolver({ fetch: globalThis.fetch }), found, true)
  assert.equal(parsed.event, 'identity')
  assert.equal(parsed.did, server.did)
  assert.deepEqual(parsed.didDocument.alsoKnownAs, ['at://bob.test'])
  const res = await agent.com.atproto.identity.resolveHandle({ handle: 'bob.test' })
  assert.equal(res.data.did, server.did)
})
