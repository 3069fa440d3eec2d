// com.atproto.repo.* through the official client: login, record writes and reads, swaps, errors.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { AtpAgent, ComAtprotoRepoGetRecord, ComAtprotoRepoPutRecord } from '@atproto/api'
import { startServer, login } from '../lib/server.mjs'

let server
let agent

before(async () => {
  server = await startServer()
  agent = await login(server)
})
after(async () => { await server?.stop() })

const POST = 'app.bsky.feed.post'
const rkeyOf = (uri) => uri.split('/').pop()

test('login gives a session for our DID', () => {
  assert.equal(agent.session.did, server.did)
  assert.equal(agent.session.handle, server.handle)
})

test('createRecord, getRecord', async () => {
  const createdAt = new Date().toISOString()
  const res = await agent.post({ text: 'hello from @atproto/api', createdAt })
  assert.match(res.uri, new RegExp(`^at://${server.did.replace(/[.%]/g, '\\$&')}/${POST}/[a-z2-7]{13}$`))
  const got = await agent.com.atproto.repo.getRecord({ repo: server.did, collection: POST, rkey: rkeyOf(res.uri) })
  assert.equal(got.data.uri, res.uri)
  assert.equal(got.data.cid, res.cid)
  assert.deepEqual(got.data.value, { $type: POST, text: 'hello from @atproto/api', createdAt })

  const raw = await agent.com.atproto.repo.createRecord({
    repo: server.handle, collection: POST, rkey: '3kaaaaaaaaaa2',
    record: { $type: POST, text: 'fixed key', createdAt },
  })
  assert.equal(raw.data.uri, `at://${server.did}/${POST}/3kaaaaaaaaaa2`)
  assert.equal(raw.data.validationStatus, 'valid')
  assert.ok(raw.data.commit.cid && raw.data.commit.rev)
  await assert.rejects(
    agent.com.atproto.repo.createRecord({ repo: server.did, collection: POST, rkey: '3kaaaaaaaaaa2', record: { $type: POST, text: 'again', createdAt } }),
    (e) => e.status === 400 && e.error === 'InvalidRequest')
})

test('listRecords pages newest first, reverse, cursor', async () => {
  const collection = 'com.example.e2e.item'
  for (const k of ['a', 'b', 'c', 'd']) {
    await agent.com.atproto.repo.createRecord({ repo: server.did, collection, rkey: k, record: { k } })
  }
  const page = await agent.com.atproto.repo.listRecords({ repo: server.did, collection, limit: 3 })
  assert.deepEqual(page.data.records.map((r) => rkeyOf(r.uri)), ['d', 'c', 'b'])
  assert.equal(page.data.cursor, 'b')
  assert.deepEqual(page.data.records[0].value, { $type: collection, k: 'd' })
  const rest = await agent.com.atproto.repo.listRecords({ repo: server.did, collection, limit: 3, cursor: page.data.cursor })
  assert.deepEqual(rest.data.records.map((r) => rkeyOf(r.uri)), ['a'])
  const rev = await agent.com.atproto.repo.listRecords({ repo: server.handle, collection, reverse: true })
  assert.deepEqual(rev.data.records.map((r) => rkeyOf(r.uri)), ['a', 'b', 'c', 'd'])
})

test('putRecord updates with swapRecord; a stale swap is InvalidSwapError', async () => {
  const createdAt = new Date().toISOString()
  const first = await agent.com.atproto.repo.putRecord({
    repo: server.did, collection: POST, rkey: '3kputputputp2', record: { $type: POST, text: 'v1', createdAt },
  })
  const second = await agent.com.atproto.repo.putRecord({
    repo: server.did, collection: POST, rkey: '3kputputputp2', record: { $type: POST, text: 'v2', createdAt }, swapRecord: first.data.cid,
  })
  assert.notEqual(second.data.cid, first.data.cid)
  await assert.rejects(
    agent.com.atproto.repo.putRecord({
      repo: server.did, collection: POST, rkey: '3kputputputp2', record: { $type: POST, text: 'v3', createdAt }, swapRecord: first.data.cid,
    }),
    (e) => e instanceof ComAtprotoRepoPutRecord.InvalidSwapError)
  const got = await agent.com.atproto.repo.getRecord({ repo: server.did, collection: POST, rkey: '3kputputputp2' })
  assert.equal(got.data.value.text, 'v2')
})

test('upsertProfile (getRecord, then putRecord with swapRecord null or the CID)', async () => {
  await agent.upsertProfile(() => ({ displayName: 'Alice' }))
  await agent.upsertProfile((existing) => ({ ...existing, description: 'e2e' }))
  const got = await agent.com.atproto.repo.getRecord({ repo: server.did, collection: 'app.bsky.actor.profile', rkey: 'self' })
  assert.equal(got.data.value.displayName, 'Alice')
  assert.equal(got.data.value.description, 'e2e')
})

test('deleteRecord, then getRecord is RecordNotFoundError', async () => {
  const res = await agent.post({ text: 'short-lived', createdAt: new Date().toISOString() })
  const del = await agent.com.atproto.repo.deleteRecord({ repo: server.did, collection: POST, rkey: rkeyOf(res.uri) })
  assert.ok(del.data.commit.rev)
  await assert.rejects(
    agent.com.atproto.repo.getRecord({ repo: server.did, collection: POST, rkey: rkeyOf(res.uri) }),
    (e) => e instanceof ComAtprotoRepoGetRecord.RecordNotFoundError)
  const again = await agent.com.atproto.repo.deleteRecord({ repo: server.did, collection: POST, rkey: rkeyOf(res.uri) })
  assert.equal(again.data.commit, undefined)
})

test('applyWrites: one commit, results in order', async () => {
  const createdAt = new Date().toISOString()
  const a = await agent.post({ text: 'a', createdAt })
  const res = await agent.com.atproto.repo.applyWrites({
    repo: server.did,
    writes: [
      { $type: 'com.atproto.repo.applyWrites#create', collection: POST, rkey: '3kapplyapply2', value: { $type: POST, text: 'new', createdAt } },
      { $type: 'com.atproto.repo.applyWrites#update', collection: POST, rkey: rkeyOf(a.uri), value: { $type: POST, text: 'a2', createdAt } },
      { $type: 'com.atproto.repo.applyWrites#delete', collection: POST, rkey: '3kapplyapply2' },
    ],
  })
  assert.deepEqual(res.data.results.map((r) => r.$type), [
    'com.atproto.repo.applyWrites#createResult',
    'com.atproto.repo.applyWrites#updateResult',
    'com.atproto.repo.applyWrites#deleteResult',
  ])
  assert.ok(res.data.commit.cid)
  const got = await agent.com.atproto.repo.getRecord({ repo: server.did, collection: POST, rkey: rkeyOf(a.uri) })
  assert.equal(got.data.value.text, 'a2')
})

test('describeRepo lists the collections', async () => {
  const res = await agent.com.atproto.repo.describeRepo({ repo: server.handle })
  assert.equal(res.data.did, server.did)
  assert.equal(res.data.handle, server.handle)
  assert.equal(res.data.handleIsCorrect, true)
  assert.equal(res.data.didDoc.id, server.did)
  assert.ok(res.data.collections.includes(POST))
})

test('writes without a session are refused', async () => {
  const anon = new AtpAgent({ service: server.url })
  await assert.rejects(
    anon.com.atproto.repo.createRecord({ repo: server.did, collection: POST, record: { $type: POST, text: 'x', createdAt: new Date().toISOString() } }),
    (e) => e.status === 401)
})
