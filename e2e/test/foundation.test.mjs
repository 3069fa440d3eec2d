import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { AtpAgent } from '@atproto/api'
import { startServer, READY } from '../lib/server.mjs'

let server

before(async () => { server = await startServer() })
after(async () => { await server?.stop() })

test('describeServer through @atproto/api', async () => {
  const agent = new AtpAgent({ service: server.url })
  const res = await agent.com.atproto.server.describeServer()
  assert.equal(res.success, true)
  assert.equal(res.data.did, server.did)
  assert.ok(Array.isArray(res.data.availableUserDomains))
})

test('health reports database and storage, also at the reference PDS\'s /xrpc/_health', async () => {
  for (const path of ['/health', '/xrpc/_health']) {
    const res = await fetch(`${server.url}${path}`)
    assert.equal(res.status, 200, path)
    assert.ok(res.headers.get('x-request-id'), path)
    const body = await res.json()
    assert.equal(body.status, 'ok', path)
    assert.deepEqual(body.checks, { database: 'ok', storage: 'ok' }, path)
  }
})

test('an unknown method is an XRPC error body', async () => {
  const res = await fetch(`${server.url}/xrpc/com.example.nothing.here`)
  assert.equal(res.status, 501)
  assert.deepEqual(await res.json(), { error: 'MethodNotImplemented', message: 'Method Not Implemented' })
})

test('SIGTERM stops the server cleanly', async () => {
  const other = await startServer()
  await other.stop()
  assert.match(other.output(), READY)
})
