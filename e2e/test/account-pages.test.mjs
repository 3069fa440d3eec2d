// The owner's web pages in headless Chromium: the public status page at /, signing in at /account
// with the account password, the overview, an app password created on the page and used with
// @atproto/api, then revoked and refused; an OAuth app (signed in through the OAuth pages) revoked
// from the page; the CAR download verified with @atproto/repo; deactivation seen on the firehose as
// #account, then activation. Hostile checks: every owner page without a session or with an ended one,
// forms posted without their CSRF token or from another origin, the pages in a frame, and HTML in a
// record and in an app password's name. Screenshots of every page at desktop and phone widths go to
// e2e/target/screenshots/ (account-*.png).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Agent, AtpAgent } from '@atproto/api'
import { verifyRepoCar } from '@atproto/repo'
import { startServer, login, png } from '../lib/server.mjs'
import { launchChromium, VIEWPORTS } from '../lib/browser.mjs'
import { collectEvents } from '../lib/firehose.mjs'
import { startCallbackServer, loopbackClient, signInApp } from '../lib/oauth.mjs'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const SHOTS = join(ROOT, 'e2e', 'target', 'screenshots')
const SECTIONS = [
  ['overview', '/account'],
  ['storage', '/account/storage'],
  ['federation', '/account/federation'],
  ['access', '/account/access'],
  ['backup', '/account/backup'],
  ['danger', '/account/danger'],
]
const OWNER_PATHS = [...SECTIONS.map(([, path]) => path), '/account/repo.car', '/account/blobs.zip']

let server
let origin // the public origin the forms must come from: http://localhost:PORT
let browser
let callbacks
let relay // a stand-in relay that records requestCrawl
let owner // { context, page } signed in on the pages

before(async () => {
  mkdirSync(SHOTS, { recursive: true })
  relay = await startRelay()
  server = await startServer({ PDS_RELAY_HOSTS: relay.url })
  origin = `http://localhost:${server.port}`
  callbacks = await startCallbackServer()
  browser = await launchChromium()
})
after(async () => {
  await owner?.context.close()
  await browser?.close()
  await callbacks?.close()
  await server?.stop()
  await relay?.close()
})

/** Answers requestCrawl with 200 and keeps the hostnames it was asked about. */
async function startRelay() {
  const asked = []
  const srv = createServer((req, res) => {
    let body = ''
    req.on('data', (d) => { body += d })
    req.on('end', () => {
      if (req.url === '/xrpc/com.atproto.sync.requestCrawl') asked.push(JSON.parse(body).hostname)
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise((r) => srv.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${srv.address().port}`, asked, close: () => new Promise((r) => srv.close(r)) }
}

/** Signs in on the account pages in a new browser context; returns the context and its page on the overview. */
async function signInOnPages({ viewport = VIEWPORTS.desktop, shots = false } = {}) {
  const context = await browser.newContext({ viewport, acceptDownloads: true })
  const page = await context.newPage()
  await page.goto(`${origin}/account`)
  assert.equal(new URL(page.url()).pathname, '/account/sign-in')
  if (shots) await shoot(page, 'sign-in')
  await page.locator('#password').fill(server.password)
  await page.locator('#sign-in').click()
  await page.waitForURL(`${origin}/account`)
  return { context, page }
}

/** The page at both widths: account-NAME-desktop.png and account-NAME-phone.png. */
async function shoot(page, name) {
  const before = page.viewportSize()
  for (const [label, viewport] of [['desktop', VIEWPORTS.desktop], ['phone', VIEWPORTS.mobile]]) {
    await page.setViewportSize(viewport)
    await page.screenshot({ path: join(SHOTS, `account-${name}-${label}.png`), fullPage: true })
  }
  await page.setViewportSize(before)
}

async function postAs(agent, text) {
  return agent.post({ text, createdAt: new Date().toISOString() })
}

test('/ in a browser is the public status page; curl gets the plain-text note', async () => {
  const context = await browser.newContext({ viewport: VIEWPORTS.desktop })
  try {
    const page = await context.newPage()
    const res = await page.goto(`${origin}/`)
    assert.equal(res.status(), 200)
    assert.equal(await page.locator('#handle').textContent(), `@${server.handle}`)
    assert.equal(await page.locator('#did').textContent(), server.did)
    assert.match(await page.locator('#server-status').textContent(), /Up/)
    await shoot(page, 'status')
  } finally {
    await context.close()
  }
  const plain = await fetch(`${origin}/`)
  assert.match(plain.headers.get('content-type'), /^text\/plain/)
  assert.match(await plain.text(), /^This is an AT Protocol Personal Data Server \(Alteran\)/)
})

test('sign in with the account password; the overview shows the handle, DID, status, last commit and records per collection', async () => {
  const agent = await login(server)
  await postAs(agent, 'first post, for the overview')
  owner = await signInOnPages({ shots: true })
  const { page } = owner
  assert.equal(await page.locator('#overview-handle').textContent(), `@${server.handle}`)
  assert.equal(await page.locator('#overview-did').textContent(), server.did)
  assert.equal(await page.locator('#overview-status').textContent(), 'active')
  const { data: latest } = await agent.com.atproto.sync.getLatestCommit({ did: server.did })
  assert.equal(await page.locator('#last-commit-rev').textContent(), latest.rev)
  assert.equal(await page.locator('#last-commit-cid').textContent(), latest.cid)
  const posts = page.locator('#collections tr', { hasText: 'app.bsky.feed.post' })
  assert.equal((await posts.locator('td').nth(1).textContent()).trim(), '1')
  assert.equal(JSON.parse(await page.locator('#did-document').textContent()).id, server.did)

  // The JSON route: the same overview, for scripts, with the account's own session.
  const res = await fetch(`${server.url}/xrpc/dev.alteran.account.getDashboard`, {
    headers: { Authorization: `Bearer ${agent.session.accessJwt}` },
  })
  assert.equal(res.status, 200)
  const dashboard = await res.json()
  assert.deepEqual(Object.keys(dashboard), ['overview', 'storage', 'federation', 'access', 'backup', 'danger'])
  assert.equal(dashboard.overview.lastCommit.rev, latest.rev)
  assert.deepEqual(dashboard.overview.collections, [{ collection: 'app.bsky.feed.post', records: 1 }])
})

test('an app password created on the page works with @atproto/api; revoked on the page, it is refused', async () => {
  const { page } = owner
  await page.goto(`${origin}/account/access`)
  await page.locator('#app-password-name').fill('e2e phone')
  await page.getByRole('button', { name: 'Create', exact: true }).click()
  const secret = page.locator('#new-password')
  await secret.waitFor()
  const password = (await secret.textContent()).trim()
  assert.match(password, /^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/)
  // The one bit of script (our own file, allowed by the policy) adds a Copy button.
  await page.getByRole('button', { name: 'Copy', exact: true }).waitFor()

  const appAgent = new AtpAgent({ service: server.url })
  await appAgent.login({ identifier: server.handle, password })
  const post = await postAs(appAgent, 'posted with an app password from the account page')
  assert.ok(post.uri.startsWith(`at://${server.did}/`))

  // Shown once: a reload lists the name only.
  await page.goto(`${origin}/account/access`)
  assert.equal(await page.locator('#new-password').count(), 0)
  const row = page.locator('#app-passwords tr', { hasText: 'e2e phone' })
  await row.getByRole('button', { name: 'Revoke' }).click()
  await page.locator('#notice').waitFor()
  assert.equal(await page.locator('#app-passwords tr', { hasText: 'e2e phone' }).count(), 0)
  await assert.rejects(new AtpAgent({ service: server.url }).login({ identifier: server.handle, password }), (err) => {
    assert.equal(err.status, 401)
    assert.equal(err.error, 'AuthenticationRequired')
    return true
  })
})

test('an OAuth app is listed with its scopes and revoked from the page: its session ends at once', async () => {
  const { client } = loopbackClient(server, callbacks, 'atproto transition:generic')
  const session = await signInApp({ browser, server, callbacks, client })
  const agent = new Agent(session)
  assert.equal((await agent.com.atproto.server.getSession()).data.did, server.did)

  const { page } = owner
  await page.goto(`${origin}/account/access`)
  const row = page.locator('#oauth-apps tr', { hasText: client.clientMetadata.client_id })
  assert.equal(await row.count(), 1)
  assert.deepEqual(await row.locator('.scope').allTextContents(), ['atproto', 'transition:generic'])
  await shoot(page, 'access')
  await row.getByRole('button', { name: 'Revoke' }).click()
  await page.locator('#notice').waitFor()
  assert.equal(await page.locator('#oauth-apps tr', { hasText: client.clientMetadata.client_id }).count(), 0)
  await assert.rejects(agent.com.atproto.server.getSession(), (err) => {
    assert.equal(err.status, 401)
    return true
  })
})

test('the CAR download verifies with @atproto/repo; the blobs download is a zip of every blob', async () => {
  const { data: uploaded } = await (await login(server)).uploadBlob(png(40_000), { encoding: 'image/png' })
  const blobCid = uploaded.blob.ref.toString()
  const { page } = owner
  await page.goto(`${origin}/account/backup`)
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#download-car').click()])
  const car = readFileSync(await download.path())
  const doc = await (await fetch(`${origin}/.well-known/did.json`)).json()
  const key = doc.verificationMethod.find((m) => m.id.endsWith('#atproto'))
  const verified = await verifyRepoCar(new Uint8Array(car), server.did, `did:key:${key.publicKeyMultibase}`)
  assert.ok(verified.creates.some((c) => c.collection === 'app.bsky.feed.post'))

  const [zip] = await Promise.all([page.waitForEvent('download'), page.locator('#download-blobs').click()])
  const bytes = readFileSync(await zip.path())
  assert.equal(bytes.readUInt32LE(bytes.length - 22), 0x06054b50, 'a zip ends with its central directory')
  assert.equal(bytes.readUInt16LE(bytes.length - 12), 1, 'one entry: the one blob')
  assert.ok(bytes.includes(Buffer.from(blobCid)), 'the entry is named by the blob CID')
})

test('storage and federation pages: the charts are inline SVG; the relay was asked to crawl and said 200', async () => {
  const { page } = owner
  await page.goto(`${origin}/account/storage`)
  assert.equal(await page.locator('#records-chart svg rect.bar').count(), 90)
  assert.equal(await page.locator('#storage-chart svg polyline').count(), 1)
  // The relay is asked shortly after start-up; the page shows its answer once it came.
  const row = page.locator('#relays tr', { hasText: relay.url })
  for (const deadline = Date.now() + 30_000; ;) {
    await page.goto(`${origin}/account/federation`)
    if ((await row.locator('td').nth(2).textContent()).trim() !== '') break
    assert.ok(Date.now() < deadline, 'the relay was not asked within 30 s')
    await new Promise((r) => setTimeout(r, 200))
  }
  assert.equal((await row.locator('td').nth(2).textContent()).trim(), 'HTTP 200')
  assert.equal(relay.asked[0], `localhost:${server.port}`)
  assert.match(await page.locator('#seq').textContent(), /^\d+$/)
})

test('deactivate after a confirmation: the firehose says #account inactive; activate again the same way', async () => {
  const { page } = owner
  const cursor = Number(await page.goto(`${origin}/account/federation`).then(() => page.locator('#seq').textContent()))

  const deactivated = collectEvents(server.url, { cursor, done: (evts) => evts.some((e) => e.$type.endsWith('#account')) })
  await page.goto(`${origin}/account/danger`)
  await shoot(page, 'danger')
  await page.locator('#deactivate').click()
  await page.locator('#confirm').waitFor()
  assert.match(await page.locator('#confirm-message').textContent(), /stops accepting writes/)
  await shoot(page, 'confirm')
  await page.locator('#confirm').click()
  await page.locator('#notice').waitFor()
  assert.equal(await page.locator('#danger-status').textContent(), 'deactivated')
  const account = (await deactivated).find((e) => e.$type.endsWith('#account'))
  assert.equal(account.did, server.did)
  assert.equal(account.active, false)
  assert.equal(account.status, 'deactivated')

  const activated = collectEvents(server.url, { cursor: account.seq, done: (evts) => evts.some((e) => e.$type.endsWith('#account')) })
  await page.locator('#activate').click()
  await page.locator('#confirm').click()
  await page.locator('#notice').waitFor()
  assert.equal(await page.locator('#danger-status').textContent(), 'active')
  assert.equal((await activated).find((e) => e.$type.endsWith('#account')).active, true)
})

test('screenshots of every section, desktop and phone', async () => {
  const { page } = owner
  for (const [name, path] of SECTIONS) {
    await page.goto(`${origin}${path}`)
    await shoot(page, name)
  }
  // The phone layout stacks: no horizontal scrolling.
  await page.setViewportSize(VIEWPORTS.mobile)
  await page.goto(`${origin}/account/access`)
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth))
  await page.setViewportSize(VIEWPORTS.desktop)
})

test('with JavaScript off the pages work: sign in, create an app password, revoke it', async () => {
  const context = await browser.newContext({ viewport: VIEWPORTS.mobile, javaScriptEnabled: false })
  try {
    const page = await context.newPage()
    await page.goto(`${origin}/account/access`)
    await page.locator('#password').fill(server.password)
    await page.locator('#sign-in').click()
    await page.waitForURL(`${origin}/account`)
    await page.goto(`${origin}/account/access`)
    await page.locator('#app-password-name').fill('no script')
    await page.getByRole('button', { name: 'Create', exact: true }).click()
    await page.locator('#new-password').waitFor()
    assert.equal(await page.getByRole('button', { name: 'Copy', exact: true }).count(), 0)
    await page.locator('#app-passwords tr', { hasText: 'no script' }).getByRole('button', { name: 'Revoke' }).click()
    await page.locator('#notice').waitFor()
    assert.equal(await page.locator('#app-passwords tr', { hasText: 'no script' }).count(), 0)
  } finally {
    await context.close()
  }
})

test('hostile: no session, an ended session, or a forged cookie gets the sign-in page and no data', async () => {
  const stranger = await browser.newContext()
  try {
    const page = await stranger.newPage()
    for (const path of OWNER_PATHS) {
      const res = await stranger.request.get(`${origin}${path}`, { maxRedirects: 0 })
      assert.equal(res.status(), 303, path)
      assert.equal(res.headers().location, '/account/sign-in', path)
    }
    await page.goto(`${origin}/account/access`)
    assert.equal(new URL(page.url()).pathname, '/account/sign-in')
    assert.equal(await page.locator('#app-passwords, #oauth-apps, #overview-did').count(), 0)
    // A cookie naming a device with a wrong secret.
    await stranger.addCookies([{ name: 'alteran-device', value: 'dev-00000000000000000000000000000000.forged', url: origin }])
    assert.equal((await stranger.request.get(`${origin}/account`, { maxRedirects: 0 })).status(), 303)
  } finally {
    await stranger.close()
  }

  // Signed in, then signed out: the same cookie no longer opens the pages.
  const { context, page } = await signInOnPages()
  try {
    const cookies = await context.cookies(origin)
    await page.locator('#sign-out').click()
    await page.waitForURL(`${origin}/account/sign-in`)
    const replay = await browser.newContext()
    await replay.addCookies(cookies)
    for (const path of OWNER_PATHS) {
      assert.equal((await replay.request.get(`${origin}${path}`, { maxRedirects: 0 })).status(), 303, path)
    }
    await replay.close()
  } finally {
    await context.close()
  }
})

test('hostile: forms without their CSRF token or from another origin are refused and change nothing', async () => {
  const { page, context } = owner
  await page.goto(`${origin}/account/access`)
  const csrf = await page.locator('#create-app-password input[name=csrf]').inputValue()
  const countBefore = (await (await login(server)).com.atproto.server.listAppPasswords()).data.passwords.length

  // Same origin, the browser's cookies and headers, but no token.
  const noToken = await context.request.post(`${origin}/account/app-passwords`, {
    form: { name: 'no token' },
    headers: { Origin: origin, 'Sec-Fetch-Site': 'same-origin' },
    maxRedirects: 0,
  })
  assert.equal(noToken.status(), 403)

  // Another origin's page that posts the real form, token and all, and one that asks to deactivate.
  for (const [action, fields] of [['/account/app-passwords', { name: 'cross-site', csrf }], ['/account/deactivate', { confirm: 'yes', csrf }]]) {
    const inputs = Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${k}" value="${v}">`).join('')
    callbacks.setForeignPage(`<!doctype html><form method="post" action="${origin}${action}">${inputs}</form>
      <script>document.forms[0].submit()</script>`)
    const foreign = await context.newPage()
    const posted = foreign.waitForResponse((r) => r.request().method() === 'POST' && r.url().startsWith(origin))
    await foreign.goto(callbacks.foreignUrl)
    assert.equal((await posted).status(), 403, action)
    await foreign.close()
  }
  const { data } = await (await login(server)).com.atproto.server.listAppPasswords()
  assert.equal(data.passwords.length, countBefore)
  const { data: status } = await (await login(server)).com.atproto.server.checkAccountStatus()
  assert.equal(status.activated, true)
})

test('hostile: the pages cannot be framed by another origin', async () => {
  const { page, context } = owner
  await page.goto(`${origin}/account`)
  assert.equal(await page.locator('#account-handle').count(), 1) // the page shows it when not framed
  callbacks.setForeignPage(`<!doctype html><iframe id="victim" src="${origin}/account"></iframe>`)
  const foreign = await context.newPage()
  const framed = foreign.waitForResponse((r) => r.url() === `${origin}/account`)
  await foreign.goto(callbacks.foreignUrl)
  const res = await framed
  assert.match(res.headers()['content-security-policy'], /frame-ancestors 'none'/)
  assert.equal(res.headers()['x-frame-options'], 'DENY')
  await foreign.waitForLoadState('load')
  // Neither the page nor the sign-in page it sends a stranger to renders inside the frame.
  for (const frame of foreign.frames()) {
    assert.equal(await frame.locator('#account-handle, #sign-in-form').count(), 0, frame.url())
  }
  await foreign.close()
})

test('hostile: HTML in a record and in an app password name is shown as text', async () => {
  const agent = (await login(server))
  await postAs(agent, '<img id="from-record" src="x" onerror="window.__pwned = 1">')
  await agent.com.atproto.server.createAppPassword({ name: '<b id="from-name">bold</b>' })
  const { page } = owner
  await page.goto(`${origin}/account`)
  assert.match(await page.locator('#latest-records .preview').first().textContent(), /<img id=\\"from-record\\"/)
  assert.equal(await page.locator('#from-record').count(), 0)
  assert.equal(await page.evaluate(() => window.__pwned), undefined)
  await page.goto(`${origin}/account/access`)
  assert.equal(await page.locator('#from-name').count(), 0)
  assert.equal(await page.locator('.app-password-name', { hasText: '<b id="from-name">bold</b>' }).count(), 1)
})
