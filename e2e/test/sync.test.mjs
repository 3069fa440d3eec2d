// com.atproto.sync.* and the firehose through the official consumers: every #commit passes
// @atproto/sync's authenticated parsing and inverts (MST) to its prevData; getRepo passes
// verifyRepoCar, getRecord passes verifyProofs/verifyRecords; a 10,000-record repository written
// through applyWrites is verified whole (the cross-implementation check of the repository format).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { IdResolver } from '@atproto/identity'
import { cborToLex, MemoryBlockstore, MST, readCarWithRoot, verifyProofs, verifyRecords, verifyRepoCar } from '@atproto/repo'
import { parseAccount, parseCommitAuthenticated, parseSync } from '@atproto/sync'
import { Subscription } from '@atproto/xrpc-server'
import { FIREHOSE as METHOD, collectEvents } from '../lib/firehose.mjs'
import { startServer, login } from '../lib/server.mjs'

const POST = 'app.bsky.feed.post'

let server
let agent
let idResolver
let didKey

before(async () => {
  server = await startServer()
  agent = await login(server)
  // did:web:localhost%3A<port> resolves over plain http when a fetch is injected.
  idResolver = new IdResolver({ fetch: globalThis.fetch })
  const doc = await (await fetch(`http://localhost:${server.port}/.well-known/did.json`)).json()
  didKey = `did:key:${doc.verificationMethod[0].publicKeyMultibase}`
  assert.equal(await idResolver.did.resolveAtprotoKey(server.did), didKey)
})
after(async () => { await server?.stop() })

const wsUrl = () => server.url.replace('http://', 'ws://')
const rkeyOf = (uri) => uri.split('/').pop()

/** Subscribes (cursor or live) and collects events until `done(events)` holds. */
const collect = (cursor, done, timeoutMs) => collectEvents(server.url, { cursor, done, timeoutMs })

/**
 * The checks a relay makes: the commit is authenticated (signature and MST proofs of every op, via
 * @atproto/sync), and applying the ops backwards to the new MST gives exactly prevData.
 */
async function checkCommit(evt, previous) {
  const parsed = await parseCommitAuthenticated(idResolver, evt)
  assert.equal(parsed.length, evt.ops.length, `every op of seq ${evt.seq} authenticated`)
  const car = await readCarWithRoot(evt.blocks)
  assert.ok(car.root.equals(evt.commit), 'the CAR root is the commit')
  const commit = cborToLex(car.blocks.get(evt.commit))
  assert.equal(commit.did, server.did)
  assert.equal(commit.rev, evt.rev)
  if (previous) {
    assert.equal(evt.since, previous.rev)
    assert.ok(evt.prevData.equals(previous.data), 'prevData is the previous commit\'s data')
  }
  if (evt.ops.length === 0) return commit
  const storage = new MemoryBlockstore(car.blocks)
  let mst = MST.load(storage, commit.data)
  for (const op of [...evt.ops].reverse()) {
    if (op.action === 'create') {
      assert.equal(op.prev, undefined)
      mst = await mst.delete(op.path)
    } else if (op.action === 'update') {
      mst = await mst.update(op.path, op.prev)
    } else {
      assert.equal(op.cid, null)
      mst = await mst.add(op.path, op.prev)
    }
  }
  const inverted = await mst.getPointer()
  assert.ok(inverted.equals(evt.prevData), `seq ${evt.seq}: inverting the ops gives prevData`)
  return commit
}

async function checkStream(events) {
  let previous = null
  let seq = 0
  for (const evt of events) {
    assert.ok(evt.seq > seq, 'seqs increase')
    seq = evt.seq
    switch (evt.$type) {
      case `${METHOD}#commit`:
        assert.equal(evt.repo, server.did)
        assert.equal(evt.rebase, false)
        assert.equal(evt.tooBig, false)
        previous = await checkCommit(evt, previous)
        break
      case `${METHOD}#sync`: {
        const sync = await parseSync(evt)
        assert.equal(sync.did, server.did)
        assert.ok(sync.cid && sync.rev)
        break
      }
      case `${METHOD}#identity`:
        assert.equal(evt.did, server.did)
        break
      case `${METHOD}#account`:
        assert.deepEqual(parseAccount(evt).active, true)
        break
      default:
        assert.fail(`unexpected message ${evt.$type}`)
    }
  }
}

async function writeSome(n) {
  const uris = []
  for (let i = 0; i < n; i++) {
    const res = await agent.post({ text: `firehose ${i}`, createdAt: new Date().toISOString() })
    uris.push(res.uri)
  }
  // an update and a delete, so every op kind is inverted
  const rkey = rkeyOf(uris[0])
  await agent.com.atproto.repo.putRecord({ repo: server.did, collection: POST, rkey, record: { $type: POST, text: 'edited', createdAt: new Date().toISOString() } })
  await agent.com.atproto.repo.deleteRecord({ repo: server.did, collection: POST, rkey: rkeyOf(uris[1]) })
  await agent.com.atproto.repo.applyWrites({
    repo: server.did,
    writes: [
      { $type: 'com.atproto.repo.applyWrites#create', collection: POST, value: { $type: POST, text: 'batch a', createdAt: new Date().toISOString() } },
      { $type: 'com.atproto.repo.applyWrites#update', collection: POST, rkey: rkeyOf(uris[2]), value: { $type: POST, text: 'batch edit', createdAt: new Date().toISOString() } },
      { $type: 'com.atproto.repo.applyWrites#delete', collection: POST, rkey: rkeyOf(uris[3]) },
    ],
  })
  return uris
}

test('a cursor-0 replay: every #commit authenticates and inverts to prevData', async () => {
  await writeSome(8)
  const { data: head } = await agent.com.atproto.sync.getLatestCommit({ did: server.did })
  const events = await collect(0, (evts) => evts.some((e) => e.$type === `${METHOD}#commit` && e.rev === head.rev))
  assert.deepEqual(events.slice(0, 4).map((e) => e.$type.split('#')[1]), ['identity', 'account', 'commit', 'sync'])
  assert.equal(events[0].handle, server.handle)
  await checkStream(events)
  assert.ok(events.filter((e) => e.$type.endsWith('#commit')).length >= 12)
})

test('live writes reach a subscriber without cursor and authenticate', async () => {
  const ac = new AbortController()
  const timer = setTimeout(() => ac.abort(), 60_000)
  const sub = new Subscription({ service: wsUrl(), method: METHOD, signal: ac.signal, getParams: () => ({}), validate: (v) => v })
  const iter = sub[Symbol.asyncIterator]()
  try {
    // Live once it delivers a write made after it started: a probe post, again each half second
    // until one arrives (a live subscriber misses what came before it was open).
    const pending = iter.next()
    let first
    while (!first) {
      await agent.post({ text: 'probe', createdAt: new Date().toISOString() })
      first = await Promise.race([pending, new Promise((r) => setTimeout(r, 500))])
    }
    assert.equal(first.done, false)
    const { data: before } = await agent.com.atproto.sync.getLatestCommit({ did: server.did })
    await writeSome(8)
    // The events after the probes (the iterator keeps what arrived while the writes were made).
    const events = []
    while (events.filter((e) => e.$type.endsWith('#commit')).length < 11) {
      const next = await iter.next()
      assert.equal(next.done, false, 'the subscription ended early')
      if (next.value.rev > before.rev) events.push(next.value)
    }
    assert.equal(events[0].since, before.rev, 'the first live event follows the head before the writes')
    await checkStream(events)
  } finally {
    clearTimeout(timer)
    ac.abort()
  }
})

test('the official Firehose consumer parses our stream without errors', async () => {
  const { Firehose } = await import('@atproto/sync')
  const errors = []
  const seen = []
  const { data: head } = await agent.com.atproto.sync.getLatestCommit({ did: server.did })
  let resolve
  const finished = new Promise((r) => { resolve = r })
  const firehose = new Firehose({
    idResolver,
    service: wsUrl(),
    getCursor: () => 0,
    unauthenticatedHandles: true,
    handleEvent: async (evt) => {
      seen.push(evt)
      if (evt.event !== 'account' && evt.event !== 'identity' && evt.rev === head.rev) resolve()
    },
    onError: (err) => { errors.push(err); resolve() },
  })
  const run = firehose.start()
  await Promise.race([finished, new Promise((r) => setTimeout(r, 30_000))])
  await firehose.destroy()
  await run
  assert.deepEqual(errors.map((e) => `${e.message}: ${e.cause?.message ?? e.cause}`), [])
  assert.ok(seen.some((e) => e.event === 'create'))
  assert.ok(seen.some((e) => e.event === 'update'))
  assert.ok(seen.some((e) => e.event === 'delete'))
  assert.ok(seen.some((e) => e.event === 'sync'))
})

test('a cursor in the future is a FutureCursor error', async () => {
  await assert.rejects(
    collect(Number.MAX_SAFE_INTEGER, () => true, 10_000),
    (err) => err.error === 'FutureCursor' || /FutureCursor/.test(String(err?.message ?? err)))
})

test('getRepo passes verifyRepoCar; getRecord passes verifyProofs and verifyRecords', async () => {
  const repoRes = await fetch(`${server.url}/xrpc/com.atproto.sync.getRepo?did=${encodeURIComponent(server.did)}`)
  assert.equal(repoRes.status, 200)
  assert.equal(repoRes.headers.get('content-type'), 'application/vnd.ipld.car')
  const verified = await verifyRepoCar(new Uint8Array(await repoRes.arrayBuffer()), server.did, didKey)
  const listed = await agent.com.atproto.repo.listRecords({ repo: server.did, collection: POST, limit: 100 })
  const posts = verified.creates.filter((c) => c.collection === POST)
  assert.equal(posts.length, listed.data.records.length)

  const record = listed.data.records[0]
  const rkey = rkeyOf(record.uri)
  const recRes = await fetch(`${server.url}/xrpc/com.atproto.sync.getRecord?did=${encodeURIComponent(server.did)}&collection=${POST}&rkey=${rkey}`)
  assert.equal(recRes.status, 200)
  const proof = new Uint8Array(await recRes.arrayBuffer())
  const claims = await verifyRecords(proof, server.did, didKey)
  assert.equal(claims.length, 1)
  assert.equal(claims[0].rkey, rkey)
  assert.deepEqual(claims[0].record, record.value)
  const claim = { collection: POST, rkey, cid: verifiedCid(verified, POST, rkey) }
  assert.equal(claim.cid.toString(), record.cid)
  const { verified: ok, unverified } = await verifyProofs(proof, [claim], server.did, didKey)
  assert.equal(ok.length, 1)
  assert.equal(unverified.length, 0)

  // absence: a proof that the record is not there
  const absentRes = await fetch(`${server.url}/xrpc/com.atproto.sync.getRecord?did=${encodeURIComponent(server.did)}&collection=${POST}&rkey=3aaaaaaaaaaaa`)
  const absent = await verifyProofs(new Uint8Array(await absentRes.arrayBuffer()), [{ collection: POST, rkey: '3aaaaaaaaaaaa', cid: null }], server.did, didKey)
  assert.equal(absent.verified.length, 1)
})

function verifiedCid(verified, collection, rkey) {
  const c = verified.creates.find((w) => w.collection === collection && w.rkey === rkey)
  assert.ok(c, `${collection}/${rkey} in the verified repo`)
  return c.cid
}

test('a 10,000-record repository written through applyWrites passes verifyRepoCar', async () => {
  const collection = 'com.example.e2e.bulk'
  for (let b = 0; b < 50; b++) {
    const writes = []
    for (let i = 0; i < 200; i++) {
      writes.push({ $type: 'com.atproto.repo.applyWrites#create', collection, rkey: `r${String(b * 200 + i).padStart(5, '0')}`, value: { n: b * 200 + i } })
    }
    await agent.com.atproto.repo.applyWrites({ repo: server.did, writes })
  }
  const res = await fetch(`${server.url}/xrpc/com.atproto.sync.getRepo?did=${encodeURIComponent(server.did)}`)
  assert.equal(res.status, 200)
  const verified = await verifyRepoCar(new Uint8Array(await res.arrayBuffer()), server.did, didKey)
  const bulk = verified.creates.filter((c) => c.collection === collection)
  assert.equal(bulk.length, 10_000)
  const one = await agent.com.atproto.repo.getRecord({ repo: server.did, collection, rkey: 'r04242' })
  assert.deepEqual(one.data.value, { $type: collection, n: 4242 })
  assert.equal(bulk.find((c) => c.rkey === 'r04242').cid.toString(), one.data.cid)
  const { data: head } = await agent.com.atproto.sync.getLatestCommit({ did: server.did })
  assert.equal(verified.commit.rev, head.rev)
})
