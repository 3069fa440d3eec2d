// The Bluesky app's path through Alteran: app.bsky.* calls of an @atproto/api agent are proxied to an
// AppView (a stand-in here) with service-auth tokens the AppView verifies against our DID document;
// preferences stay on the PDS.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { AtpAgent } from '@atproto/api'
import { IdResolver } from '@atproto/identity'
import { Secp256k1Keypair } from '@atproto/crypto'
import { verifyJwt, createServiceJwt } from '@atproto/xrpc-server'
import { startServer, login } from '../lib/server.mjs'

const APPVIEW_DID = 'did:web:appview.e2e.test'
const CHAT_DID = 'did:web:chat.e2e.test'
const POST_URI = 'at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3l6oveex3ii2l'
const TIMELINE = {
  cursor: 'next-page',
  feed: [{
    post: {
      uri: POST_URI,
      cid: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm',
      author: { did: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', handle: 'someone.bsky.social', displayName: 'Some One ☃' },
      record: { $type: 'app.bsky.feed.post', text: 'hello from the stand-in AppView ✨', createdAt: '2024-10-01T12:00:00.000Z' },
      replyCount: 1, repostCount: 2, likeCount: 3, quoteCount: 0,
      indexedAt: '2024-10-01T12:00:01.000Z',
      labels: [],
    },
  }],
}

// Our did:web lives on plain http at localhost: the default, SSRF-protected fetch would refuse it.
const idResolver = new IdResolver({ timeout: 3000, fetch: globalThis.fetch })
const received = [] // every request the stand-in got: { nsid, query, payload?, error? }
let appView
let appViewUrl
let server
let agent

// The stand-in AppView: every call must carry a service token it can verify with the issuer's DID document.
async function handle(req, res) {
  const url = new URL(req.url, 'http://stand-in')
  const nsid = url.pathname.replace('/xrpc/', '')
  const entry = { nsid, query: url.search, headers: req.headers }
  received.push(entry)
  const reply = (status, body, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
    res.end(JSON.stringify(body))
  }
  try {
    const auth = req.headers.authorization ?? ''
    if (!auth.startsWith('Bearer ')) throw Object.assign(new Error('no token'), { error: 'AuthMissing' })
    entry.payload = await verifyJwt(auth.slice(7), APPVIEW_DID, nsid,
      (iss, forceRefresh) => idResolver.did.resolveAtprotoKey(iss, forceRefresh))
  } catch (err) {
    entry.error = err
    return reply(401, { error: err.customErrorName ?? err.error ?? 'AuthenticationRequired', message: err.message })
  }
  if (nsid === 'app.bsky.feed.getTimeline') {
    return reply(200, TIMELINE, { 'content-language': 'en', 'atproto-content-labelers': 'did:plc:ar7c4by46qjdydhdevvrndac' })
  }
  if (nsid === 'app.bsky.feed.getPostThread') {
    return reply(400, { error: 'NotFound', message: `Post not found: ${url.searchParams.get('uri')}` })
  }
  reply(501, { error: 'MethodNotImplemented', message: 'not in the stand-in' })
}

before(async () => {
  appView = createServer((req, res) => { handle(req, res) })
  await new Promise((resolve) => appView.listen(0, '127.0.0.1', resolve))
  appViewUrl = `http://127.0.0.1:${appView.address().port}`
  server = await startServer({
    PDS_BSKY_APP_VIEW_URL: appViewUrl,
    PDS_BSKY_APP_VIEW_DID: APPVIEW_DID,
    PDS_CHAT_URL: appViewUrl,
    PDS_CHAT_DID: CHAT_DID,
  })
  agent = await login(server)
})

after(async () => {
  await server?.stop()
  await new Promise((resolve) => appView?.close(resolve) ?? resolve())
})

test('getTimeline reaches the AppView with verified service tokens, and its answer reaches the client intact', async () => {
  received.length = 0
  const first = await agent.getTimeline({ limit: 2, cursor: 'c1' })
  assert.deepEqual(first.data, TIMELINE)
  assert.equal(first.headers['content-language'], 'en')
  assert.equal(first.headers['atproto-content-labelers'], 'did:plc:ar7c4by46qjdydhdevvrndac')
  const second = await agent.app.bsky.feed.getTimeline({ algorithm: 'reverse-chronological' })
  assert.deepEqual(second.data, TIMELINE)
  const third = await agent.getTimeline({}, { headers: { 'accept-language': 'fr', 'atproto-accept-labelers': 'did:plc:e2elabelere2elabelere2ela' } })
  assert.deepEqual(third.data, TIMELINE)

  assert.equal(received.length, 3)
  for (const r of received) {
    assert.equal(r.error, undefined, `token refused: ${r.error?.message}`)
    assert.equal(r.nsid, 'app.bsky.feed.getTimeline')
    assert.equal(r.payload.iss, server.did)
    assert.equal(r.payload.aud, APPVIEW_DID)
    assert.equal(r.payload.lxm, 'app.bsky.feed.getTimeline')
    assert.ok(r.payload.exp > Date.now() / 1000 && r.payload.exp <= Date.now() / 1000 + 61)
    assert.notEqual(r.headers.authorization, `Bearer ${agent.session.accessJwt}`)
  }
  assert.equal(new Set(received.map((r) => r.payload.jti)).size, 3, 'a fresh token per call')
  assert.equal(new URLSearchParams(received[0].query).get('limit'), '2')
  assert.equal(new URLSearchParams(received[0].query).get('cursor'), 'c1')
  assert.equal(new URLSearchParams(received[1].query).get('algorithm'), 'reverse-chronological')
  // the agent names the Bluesky moderation labeler itself; ours is added to it
  assert.match(received[0].headers['atproto-accept-labelers'], /did:plc:ar7c4by46qjdydhdevvrndac;redact/)
  assert.match(received[2].headers['atproto-accept-labelers'], /did:plc:e2elabelere2elabelere2ela/)
  assert.equal(received[2].headers['accept-language'], 'fr')
})

test('the stand-in refuses a token not signed with our key', async () => {
  received.length = 0
  const stranger = await Secp256k1Keypair.create()
  const forged = await createServiceJwt({ iss: server.did, aud: APPVIEW_DID, lxm: 'app.bsky.feed.getTimeline', keypair: stranger })
  const res = await fetch(`${appViewUrl}/xrpc/app.bsky.feed.getTimeline`, { headers: { authorization: `Bearer ${forged}` } })
  assert.equal(res.status, 401)
  assert.equal((await res.json()).error, 'BadJwtSignature')
})

test('AppView errors reach the client as XRPC errors', async () => {
  received.length = 0
  await assert.rejects(agent.getPostThread({ uri: POST_URI }),
    (e) => e.status === 400 && e.error === 'NotFound' && e.message === `Post not found: ${POST_URI}`)
  assert.equal(received.length, 1)
  assert.equal(received[0].payload.lxm, 'app.bsky.feed.getPostThread')
})

test('unauthenticated and unknown calls are refused by the PDS', async () => {
  received.length = 0
  const anonymous = new AtpAgent({ service: server.url })
  await assert.rejects(anonymous.getTimeline({}), (e) => e.status === 401 && e.error === 'AuthMissing')
  const res = await fetch(`${server.url}/xrpc/com.example.nothing.here`, { headers: { authorization: `Bearer ${agent.session.accessJwt}` } })
  assert.equal(res.status, 501)
  assert.equal(received.length, 0)
})

test('preferences round-trip through @atproto/api and stay on the PDS', async () => {
  received.length = 0
  const feed = 'at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.generator/whats-hot'
  await agent.setAdultContentEnabled(true)
  await agent.addSavedFeeds([{ type: 'feed', value: feed, pinned: true }])
  await agent.setSavedFeeds([feed], [feed])
  await agent.setThreadViewPrefs({ sort: 'oldest' })
  await agent.setContentLabelPref('nudity', 'warn')
  await agent.setPersonalDetails({ birthDate: '1990-02-03T00:00:00.000Z' })

  const prefs = await agent.getPreferences()
  assert.equal(prefs.moderationPrefs.adultContentEnabled, true)
  assert.ok(prefs.savedFeeds.some((f) => f.type === 'feed' && f.value === feed && f.pinned))
  assert.deepEqual(prefs.feeds.saved, [feed])
  assert.deepEqual(prefs.feeds.pinned, [feed])
  assert.equal(prefs.threadViewPrefs.sort, 'oldest')
  assert.equal(prefs.moderationPrefs.labels.nudity, 'warn')
  assert.equal(new Date(prefs.birthDate).toISOString(), '1990-02-03T00:00:00.000Z')

  const raw = await agent.app.bsky.actor.getPreferences()
  const types = raw.data.preferences.map((p) => p.$type)
  assert.ok(types.includes('app.bsky.actor.defs#declaredAgePref'))
  const declared = raw.data.preferences.find((p) => p.$type === 'app.bsky.actor.defs#declaredAgePref')
  assert.deepEqual(declared, { $type: 'app.bsky.actor.defs#declaredAgePref', isOverAge13: true, isOverAge16: true, isOverAge18: true })

  await agent.app.bsky.actor.putPreferences({ preferences: [{ $type: 'app.bsky.actor.defs#adultContentPref', enabled: false }] })
  const replaced = await agent.app.bsky.actor.getPreferences()
  assert.deepEqual(replaced.data.preferences, [{ $type: 'app.bsky.actor.defs#adultContentPref', enabled: false }])
  await assert.rejects(
    agent.app.bsky.actor.putPreferences({ preferences: [{ $type: 'com.example.pref', x: 1 }] }),
    (e) => e.status === 400 && e.error === 'InvalidRequest')
  assert.equal(received.length, 0, 'preferences never reach the AppView')
})
