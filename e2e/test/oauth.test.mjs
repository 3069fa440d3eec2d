// atproto OAuth end to end: the official @atproto/oauth-client-node, as a loopback client, signs in to
// a started Alteran through its real sign-in and consent pages in headless Chromium, lands on a
// callback server on 127.0.0.1, and then writes and reads records through its DPoP-bound session;
// survives an access-token expiry by refreshing; is cut off when the owner revokes the session with
// `alteran oauth revoke`; and a session scoped to creating posts cannot like. Browser-level hostile
// cases: consent posted without its CSRF token or from another origin, a wrong password; tokens on
// the wrong scheme. Screenshots of both pages go to e2e/target/screenshots/. What the client needs
// of the server is in e2e/OAUTH-CLIENT-NOTES.md.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Agent, AtpAgent } from '@atproto/api'
import { OAuthCallbackError } from '@atproto/oauth-client-node'
import { startServer, login } from '../lib/server.mjs'
import { launchChromium, VIEWPORTS } from '../lib/browser.mjs'
import { startCallbackServer, loopbackClient, authorizeInBrowser as authorizeWithPages, signInApp } from '../lib/oauth.mjs'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const JAR = join(ROOT, 'server', 'target', 'alteran.jar')
const JAVA = process.env.ALTERAN_JAVA || 'java'
const SHOTS = join(ROOT, 'e2e', 'target', 'screenshots')
// Short enough that the test sees a token expire; the client refreshes ahead of any expiry it knows.
const ACCESS_TTL_SEC = 3

let server
let origin // the issuer and the PDS URL of the dev DID document: http://localhost:PORT
let browser
let callbacks

before(async () => {
  mkdirSync(SHOTS, { recursive: true })
  server = await startServer({ PDS_OAUTH_ACCESS_TTL_SEC: String(ACCESS_TTL_SEC) })
  origin = `http://localhost:${server.port}`
  callbacks = await startCallbackServer()
  browser = await launchChromium()
})
after(async () => {
  await browser?.close()
  await callbacks?.close()
  await server?.stop()
})

/** A loopback development client of this suite's server. */
const oauthClient = (scope) => loopbackClient(server, callbacks, scope)

/** Signs in through the pages (see lib/oauth.mjs); returns the authorization response. */
const authorizeInBrowser = (client, options) => authorizeWithPages({ browser, server, callbacks, client }, { shotsDir: SHOTS, ...options })

/** Signs in and completes the callback: a session of the client. */
const signIn = (client, options) => signInApp({ browser, server, callbacks, client }, { shotsDir: SHOTS, ...options })

const publicAgent = () => new AtpAgent({ service: server.url })

async function records(collection) {
  const { data } = await publicAgent().com.atproto.repo.listRecords({ repo: server.did, collection })
  return data.records
}

/** Runs `alteran oauth ...` on the server's data directory, as the owner would. */
async function alteranOauth(...args) {
  const { stdout } = await promisify(execFile)(JAVA, ['-jar', JAR, 'oauth', ...args, '--data', server.dataDir],
    { env: { ...process.env, ALTERAN_LOG_LEVEL: 'WARN' } })
  return stdout
}

/**
 * Makes the client take its stored access token for one with an hour to live. With the test's short
 * lifetime it would otherwise refresh before every request, and never send a token the server
 * refuses: the server is to be the one that says the token is no longer good.
 */
function trustStoredToken(sessions) {
  sessions.get(server.did).tokenSet.expires_at = new Date(Date.now() + 3600_000).toISOString()
}

/** A resource request with an explicit access token, signed by the session's own DPoP key. */
async function rawGetSession(session, accessToken) {
  return session.dpopFetch(new URL('/xrpc/com.atproto.server.getSession', origin), {
    headers: { Authorization: `DPoP ${accessToken}` },
  })
}

let main // { client, sessions, session, agent } of the full-scope client

test('sign in through the pages in Chromium; write and read records through the DPoP session', async () => {
  main = oauthClient('atproto transition:generic')
  main.session = await signIn(main.client, { viewport: VIEWPORTS.mobile, shots: '' })
  assert.equal(main.session.did, server.did)
  const info = await main.session.getTokenInfo(false)
  assert.equal(info.iss, origin)
  assert.equal(info.aud, `${origin}/`)
  assert.deepEqual(info.scope.split(' ').sort(), ['atproto', 'transition:generic'])

  main.agent = new Agent(main.session)
  const post = await main.agent.post({ text: 'posted through OAuth', createdAt: new Date().toISOString() })
  const { data: read } = await main.agent.com.atproto.repo.getRecord({
    repo: main.agent.did, collection: 'app.bsky.feed.post', rkey: post.uri.split('/').pop(),
  })
  assert.equal(read.value.text, 'posted through OAuth')
  assert.equal(read.cid, post.cid)
  const { data: session } = await main.agent.com.atproto.server.getSession()
  assert.equal(session.did, server.did)
  assert.equal(session.handle, server.handle)
  assert.ok((await records('app.bsky.feed.post')).some((r) => r.uri === post.uri))
})

test('an expired access token gets 401 invalid_token; the client refreshes and retries', async () => {
  const before = { ...main.sessions.get(server.did).tokenSet }
  trustStoredToken(main.sessions)
  let refused
  for (;;) {
    const res = await rawGetSession(main.session, before.access_token)
    if (res.status === 401) { refused = res; break }
    assert.equal(res.status, 200)
    await res.arrayBuffer()
    await new Promise((r) => setTimeout(r, 200)) // polls the token's expiry, at most ACCESS_TTL_SEC
  }
  assert.match(refused.headers.get('www-authenticate'), /^DPoP\b.*error="invalid_token"/)
  assert.equal((await refused.json()).error, 'invalid_token')

  const post = await main.agent.post({ text: 'after the token expired', createdAt: new Date().toISOString() })
  assert.ok((await records('app.bsky.feed.post')).some((r) => r.uri === post.uri))
  const after = main.sessions.get(server.did).tokenSet
  assert.notEqual(after.access_token, before.access_token)
  assert.notEqual(after.refresh_token, before.refresh_token, 'refresh tokens rotate')
})

let scoped // a session allowed only to create posts

test('a session scoped to repo:app.bsky.feed.post?action=create can post but not like', async () => {
  scoped = oauthClient('atproto repo:app.bsky.feed.post?action=create')
  // The pages are plain forms: this sign-in runs with JavaScript off.
  scoped.session = await signIn(scoped.client, { viewport: VIEWPORTS.desktop, shots: '-desktop', javaScript: false })
  const info = await scoped.session.getTokenInfo(false)
  assert.deepEqual(info.scope.split(' ').sort(), ['atproto', 'repo:app.bsky.feed.post?action=create'])
  scoped.agent = new Agent(scoped.session)

  const post = await scoped.agent.post({ text: 'scoped post', createdAt: new Date().toISOString() })
  const likesBefore = await records('app.bsky.feed.like')
  await assert.rejects(scoped.agent.like(post.uri, post.cid), (err) => {
    assert.equal(err.status, 403)
    assert.equal(err.error, 'ScopeMissingError')
    assert.match(err.message, /repo:app\.bsky\.feed\.like/)
    return true
  })
  assert.deepEqual(await records('app.bsky.feed.like'), likesBefore)
  // Deleting is an action the scope leaves out.
  await assert.rejects(scoped.agent.deletePost(post.uri), (err) => err.error === 'ScopeMissingError')
  assert.ok((await records('app.bsky.feed.post')).some((r) => r.uri === post.uri))
})

test('the owner revokes a session with `alteran oauth revoke`: that client gets 401 invalid_token at once', async () => {
  const listed = parseSessions(await alteranOauth('sessions'))
  const mine = listed.find((s) => s.client === main.client.clientMetadata.client_id)
  assert.ok(mine, JSON.stringify(listed))
  assert.equal(mine.scopes, 'atproto transition:generic')
  assert.ok(listed.some((s) => s.client === scoped.client.clientMetadata.client_id))
  assert.match(await alteranOauth('revoke', mine.id), new RegExp(`revoked ${mine.id}`))

  // The access token is refused (it may also have expired by now: ACCESS_TTL_SEC is short), and so
  // is the refresh the client then tries; it gives up the session and reports the 401.
  trustStoredToken(main.sessions)
  await assert.rejects(main.agent.com.atproto.server.getSession(), (err) => {
    assert.equal(err.status, 401)
    assert.equal(err.error, 'invalid_token')
    return true
  })
  await assert.rejects(main.client.restore(server.did))
  // The other app is still signed in.
  const { data } = await scoped.agent.com.atproto.server.getSession()
  assert.equal(data.did, server.did)
})

/** The signed-in apps `alteran oauth sessions` lists: an ID line, then indented `key: value` lines. */
function parseSessions(listing) {
  return listing.split('\n').reduce((sessions, line) => {
    const field = line.match(/^\s+([a-z ]+):\s+(.*)$/)
    if (field) sessions.at(-1)[field[1]] = field[2]
    else if (/^\S/.test(line) && !line.startsWith('#')) sessions.push({ id: line.trim() })
    return sessions
  }, [])
}

test("tokens keep to their scheme: the app's token as Bearer or without a proof, a password session as DPoP, are refused", async () => {
  const { access_token: token } = await scoped.session.getTokenSet(true)
  const url = new URL('/xrpc/com.atproto.server.getSession', origin)

  const bearer = await fetch(url, { headers: { Authorization: `Bearer ${token}` } })
  assert.equal(bearer.status, 400)
  assert.equal((await bearer.json()).error, 'InvalidToken')

  const noProof = await fetch(url, { headers: { Authorization: `DPoP ${token}` } })
  assert.equal(noProof.status, 401)
  assert.match(noProof.headers.get('www-authenticate'), /^DPoP\b.*error="invalid_dpop_proof"/)

  // A valid proof of the app's key, around the password session's access JWT.
  const { accessJwt } = (await login(server)).session
  const sessionAsDpop = await rawGetSession(scoped.session, accessJwt)
  assert.equal(sessionAsDpop.status, 401)
  assert.match(sessionAsDpop.headers.get('www-authenticate'), /^DPoP\b.*error="invalid_token"/)
})

test('a replayed refresh token ends the whole session', async () => {
  const used = scoped.sessions.get(server.did).tokenSet.refresh_token
  const current = await scoped.session.getTokenSet(true)
  assert.notEqual(current.refresh_token, used)
  // Someone replays the used refresh token, through the client's own token request (DPoP, nonce).
  await assert.rejects(scoped.session.server.request('token', { grant_type: 'refresh_token', refresh_token: used }),
    (err) => err.status === 400 && err.error === 'invalid_grant')
  // That ends the session: the app's current access token and refresh token are refused too.
  trustStoredToken(scoped.sessions)
  await assert.rejects(scoped.agent.com.atproto.server.getSession(), (err) => {
    assert.equal(err.status, 401)
    assert.equal(err.error, 'invalid_token')
    return true
  })
  await assert.rejects(scoped.client.restore(server.did))
})

test('Deny on the consent page: the client gets access_denied and no session', async () => {
  const { client, sessions } = oauthClient('atproto')
  const params = await authorizeInBrowser(client, { decision: 'Deny' })
  assert.equal(params.get('error'), 'access_denied')
  assert.equal(params.get('code'), null)
  assert.equal(params.get('iss'), origin)
  await assert.rejects(client.callback(params), (err) => err instanceof OAuthCallbackError && err.params.get('error') === 'access_denied')
  assert.equal(sessions.size, 0)
})

test('consent posted without its CSRF token, or from another origin, is refused and changes nothing', async () => {
  const { client, sessions } = oauthClient('atproto')
  const url = await client.authorize(server.handle)
  const context = await browser.newContext({ viewport: VIEWPORTS.desktop })
  try {
    const page = await context.newPage()
    await page.goto(url.href)
    const password = page.locator('input[type=password]')
    await password.fill(server.password)
    await password.press('Enter')
    const allow = page.getByRole('button', { name: 'Allow', exact: true })
    await allow.waitFor()
    // The consent form as it is, CSRF token and all, re-posted by a page on another origin.
    const form = await allow.evaluate((button) => {
      const f = button.form
      const fields = [...new FormData(f, button)]
      // Attributes, not f.action/f.method: the form has a field named "action" that shadows them.
      return { action: new URL(f.getAttribute('action') ?? '', document.baseURI).href, method: f.getAttribute('method'), fields }
    })
    const inputs = form.fields.map(([k, v]) => `<input type="hidden" name="${escape(k)}" value="${escape(v)}">`).join('')
    callbacks.setForeignPage(`<!doctype html><form method="${form.method}" action="${escape(form.action)}">${inputs}</form>
      <script>document.forms[0].submit()</script>`)
    const foreign = await context.newPage()
    const posted = foreign.waitForResponse((r) => r.request().method() === 'POST' && r.url().startsWith(origin))
    await foreign.goto(callbacks.foreignUrl)
    const refusal = await posted
    assert.ok(refusal.status() >= 400 && refusal.status() < 500, `status ${refusal.status()}`)
    // Same origin, same cookies, every header a browser sends, but no CSRF token.
    const noCsrf = await context.request.post(form.action, {
      form: Object.fromEntries(form.fields.filter(([k]) => k !== 'csrf')),
      headers: { Origin: origin, 'Sec-Fetch-Site': 'same-origin', 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document' },
      maxRedirects: 0,
    })
    assert.equal(noCsrf.status(), 403)
    const receivedBefore = callbacks.received.length

    // The person's own Allow still works: the refused post used nothing up.
    const response = callbacks.next()
    await allow.click()
    const params = await response
    assert.equal(callbacks.received.length, receivedBefore + 1)
    assert.ok(params.get('code'))
    const { session } = await client.callback(params)
    assert.equal(session.did, server.did)
    assert.equal(sessions.size, 1)
  } finally {
    await context.close()
  }
})

function escape(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

test('a wrong password is refused on the page; "Remember this device" is an HttpOnly SameSite cookie that skips the password next time', async () => {
  const { client } = oauthClient('atproto')
  const context = await browser.newContext({ viewport: VIEWPORTS.mobile })
  try {
    const page = await context.newPage()
    const first = await page.goto((await client.authorize(server.handle)).href)
    assert.match(first.headers()['content-security-policy'], /frame-ancestors 'none'/)
    const password = page.locator('input[type=password]')
    await password.fill('not the password')
    await password.press('Enter')
    await page.locator('#error').waitFor()
    assert.equal(await page.getByRole('button', { name: 'Allow', exact: true }).count(), 0)

    await page.locator('input[type=password]').fill(server.password)
    await page.getByLabel('Remember this device').check()
    await page.locator('input[type=password]').press('Enter')
    let response = callbacks.next()
    await page.getByRole('button', { name: 'Allow', exact: true }).click()
    await client.callback(await response)

    const cookies = (await context.cookies()).filter((c) => c.domain === 'localhost' && c.httpOnly)
    assert.ok(cookies.length > 0, 'an HttpOnly cookie')
    for (const c of cookies) {
      assert.ok(c.sameSite === 'Lax' || c.sameSite === 'Strict', `${c.name}: SameSite=${c.sameSite}`)
      assert.equal(c.secure, false, 'no Secure flag over http')
    }

    // The same browser, a new request: straight to the consent page (every app is asked each time).
    const { client: again, sessions } = oauthClient('atproto transition:generic')
    await page.goto((await again.authorize(server.handle)).href)
    const allow = page.getByRole('button', { name: 'Allow', exact: true })
    await allow.waitFor()
    assert.equal(await page.locator('input[type=password]').count(), 0)
    response = callbacks.next()
    await allow.click()
    const { session } = await again.callback(await response)
    assert.equal(session.did, server.did)
    assert.equal(sessions.size, 1)
  } finally {
    await context.close()
  }
})
