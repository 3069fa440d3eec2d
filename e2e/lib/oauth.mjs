// OAuth sign-in helpers shared by the browser suites: a loopback callback server, in-memory stores
// for @atproto/oauth-client-node, and a sign-in through the server's real pages in Chromium.
import { createServer } from 'node:http'
import { join } from 'node:path'
import { NodeOAuthClient, buildAtprotoLoopbackClientMetadata } from '@atproto/oauth-client-node'
import { VIEWPORTS } from './browser.mjs'

/**
 * The loopback client's redirect target. Each authorization response is handed to the test that
 * waits for it; `/foreign` serves a page of another origin (the cross-origin tests).
 */
export async function startCallbackServer() {
  const waiting = []
  const received = []
  let foreignPage = ''
  const srv = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1')
    if (url.pathname === '/callback') {
      received.push(url.searchParams)
      waiting.shift()?.(url.searchParams)
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end('<!doctype html><title>Signed in</title><p>You can close this window.</p>')
    } else if (url.pathname === '/foreign') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end(foreignPage)
    } else {
      res.writeHead(404).end()
    }
  })
  await new Promise((r) => srv.listen(0, '127.0.0.1', r))
  const base = `http://127.0.0.1:${srv.address().port}`
  return {
    redirectUri: `${base}/callback`,
    foreignUrl: `${base}/foreign`,
    received,
    /** The next authorization response the browser brings to the callback. */
    next: () => new Promise((r) => waiting.push(r)),
    setForeignPage: (html) => { foreignPage = html },
    close: () => new Promise((r) => srv.close(r)),
  }
}

/** A store over a Map, as the client wants it. */
export function memoryStore() {
  const map = new Map()
  return { map, get: async (k) => map.get(k), set: async (k, v) => { map.set(k, v) }, del: async (k) => { map.delete(k) } }
}

/** Serializes the client's refreshes per key, as a real app's lock would. */
export function memoryLock() {
  const tails = new Map()
  return async (key, fn) => {
    const prev = tails.get(key) ?? Promise.resolve()
    let release
    const mine = new Promise((r) => { release = r })
    tails.set(key, prev.then(() => mine))
    await prev
    try { return await fn() } finally { release() }
  }
}

/** A loopback development client (client_id http://localhost?redirect_uri=...&scope=...) of `server`. */
export function loopbackClient(server, callbacks, scope) {
  const sessions = memoryStore()
  const client = new NodeOAuthClient({
    clientMetadata: buildAtprotoLoopbackClientMetadata({ scope, redirect_uris: [callbacks.redirectUri] }),
    stateStore: memoryStore(),
    sessionStore: sessions,
    // The dev handle (alice.test) resolves through the PDS itself; the did:web through http.
    handleResolver: server.url,
    allowHttp: true,
    requestLock: memoryLock(),
  })
  return { client, sessions: sessions.map }
}

/**
 * Signs in through the pages in a fresh browser context: the password on the sign-in page, then
 * `decision` (`Allow` or `Deny`) on the consent page; returns the authorization response. With
 * `shots` (a file-name suffix) and `shotsDir`, both pages are photographed.
 */
export async function authorizeInBrowser({ browser, server, callbacks, client }, {
  viewport = VIEWPORTS.mobile, shots, shotsDir, decision = 'Allow', javaScript = true,
} = {}) {
  const url = await client.authorize(server.handle)
  const context = await browser.newContext({ viewport, javaScriptEnabled: javaScript })
  try {
    const page = await context.newPage()
    await page.goto(url.href)
    const password = page.locator('input[type=password]')
    await password.waitFor()
    if (shots !== undefined) await page.screenshot({ path: join(shotsDir, `oauth-sign-in${shots}.png`), fullPage: true })
    await password.fill(server.password)
    await password.press('Enter')
    const button = page.getByRole('button', { name: decision, exact: true })
    await button.waitFor()
    if (shots !== undefined) await page.screenshot({ path: join(shotsDir, `oauth-consent${shots}.png`), fullPage: true })
    const response = callbacks.next()
    await button.click()
    return await response
  } finally {
    await context.close()
  }
}

/** Signs in and completes the callback: a session of the client. */
export async function signInApp(env, options) {
  const params = await authorizeInBrowser(env, options)
  const { session } = await env.client.callback(params)
  return session
}
