// Two instances of the jar serving one account from one PostgreSQL database (#18): writes through
// either land on one repository, and getRepo from each passes @atproto/repo's verifyRepoCar.
// PostgreSQL: the JVM tests' embedded server, started by E2ePostgres from the server module's test
// class path (written by the build to server/target/test-classpath.txt), or ALTERAN_TEST_POSTGRES_URL's.
// Blobs stay in each instance's data directory here; MultiInstanceTest (Java) covers the shared bucket.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import { Secp256k1Keypair } from '@atproto/crypto'
import { verifyRepoCar } from '@atproto/repo'
import { startServer, login } from '../lib/server.mjs'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const TARGET = join(ROOT, 'server', 'target')
const JAVA = process.env.ALTERAN_JAVA || 'java'
const POST = 'app.bsky.feed.post'

let postgres
let a
let b
let didKey

/** Starts E2ePostgres and resolves with the PDS_DATABASE_URL it prints. */
function startPostgres() {
  const classpath = `${join(TARGET, 'test-classes')}:${readFileSync(join(TARGET, 'test-classpath.txt'), 'utf8').trim()}`
  const child = spawn(JAVA, ['-cp', classpath, 'dev.alteran.server.E2ePostgres'], { stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stderr.on('data', (d) => { err += d })
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d
      const line = out.split('\n').find((l) => l.startsWith('PDS_DATABASE_URL=') && out.includes(`${l}\n`))
      if (line) resolve({ url: line.slice('PDS_DATABASE_URL='.length).trim(), child })
    })
    child.once('exit', (code) => reject(new Error(`E2ePostgres exited (${code}):\n${out}${err}`)))
  })
}

before(async () => {
  postgres = await startPostgres()
  const key = await Secp256k1Keypair.create({ exportable: true })
  didKey = key.did()
  const shared = {
    PDS_DATABASE_URL: postgres.url,
    ACCESS_TOKEN: randomBytes(32).toString('base64url'),
    REFRESH_TOKEN: randomBytes(32).toString('base64url'),
    REPO_SIGNING_KEY: Buffer.from(await key.export()).toString('hex'),
  }
  a = await startServer(shared)
  // B serves A's account under A's name: the same DID, host name, keys and database.
  b = await startServer({ ...shared, PDS_DID: a.did, PDS_HOSTNAME: `localhost:${a.port}` })
})

after(async () => {
  await a?.stop()
  await b?.stop()
  if (postgres) {
    const exited = new Promise((r) => postgres.child.once('exit', r))
    postgres.child.stdin.end()
    await exited
  }
})

async function verifiedRepo(server) {
  const res = await fetch(`${server.url}/xrpc/com.atproto.sync.getRepo?did=${encodeURIComponent(a.did)}`)
  assert.equal(res.status, 200)
  return verifyRepoCar(new Uint8Array(await res.arrayBuffer()), a.did, didKey)
}

test('writes alternate between two instances; getRepo from each verifies with every record', async () => {
  const agents = [await login(a), await login(b)]
  const uris = []
  for (let round = 0; round < 10; round++) {
    // four at once, two through each instance
    const batch = await Promise.all([0, 1, 2, 3].map((i) =>
      agents[i % 2].post({ text: `post ${round}.${i}`, createdAt: new Date().toISOString() })))
    uris.push(...batch.map((r) => r.uri))
  }
  assert.equal(new Set(uris).size, 40)
  const fromA = await verifiedRepo(a)
  const fromB = await verifiedRepo(b)
  for (const verified of [fromA, fromB]) {
    const posts = verified.creates.filter((c) => c.collection === POST).map((c) => `at://${a.did}/${POST}/${c.rkey}`)
    assert.deepEqual(posts.sort(), [...uris].sort())
  }
  assert.equal(fromA.commit.cid.toString(), fromB.commit.cid.toString(), 'one repository, not two')
})

test('a session ended on one instance is refused on the other', async () => {
  const { AtpAgent } = await import('@atproto/api')
  const onA = new AtpAgent({ service: a.url })
  await onA.login({ identifier: a.handle, password: a.password })
  const refreshJwt = onA.session.refreshJwt
  await onA.com.atproto.server.deleteSession(undefined, { headers: { authorization: `Bearer ${refreshJwt}` } })
  const res = await fetch(`${b.url}/xrpc/com.atproto.server.refreshSession`, {
    method: 'POST', headers: { authorization: `Bearer ${refreshJwt}` },
  })
  assert.equal(res.status, 400)
  assert.equal((await res.json()).error, 'ExpiredToken')
})
