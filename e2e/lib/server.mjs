// Starts the packaged Alteran (server/target/alteran.jar, built by `./alteran test`) in dev mode on a
// free loopback port over a temporary data directory, with known credentials, and stops it again.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const JAR = join(ROOT, 'server', 'target', 'alteran.jar')
const JAVA = process.env.ALTERAN_JAVA || 'java'

export const HANDLE = 'alice.test'
export const PASSWORD = 'e2e-password-not-secret'

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

/** An agent of the official client, logged in to the server's account. */
export async function login(server) {
  const { AtpAgent } = await import('@atproto/api')
  const agent = new AtpAgent({ service: server.url })
  await agent.login({ identifier: server.handle, password: server.password })
  return agent
}

/** A PNG signature followed by random bytes: enough for the server's content check. */
export function png(size) {
  const bytes = randomBytes(size)
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(bytes)
  return new Uint8Array(bytes)
}

/** Starts a server; `validateOutput: false` runs it as a person does, without the suites' output check (benchmarks). */
export async function startServer(extraEnv = {}, { validateOutput = true } = {}) {
  const port = await freePort()
  const data = mkdtempSync(join(tmpdir(), 'alteran-e2e-'))
  const did = `did:web:localhost%3A${port}`
  const env = {
    ...process.env,
    PDS_HANDLE: HANDLE,
    PDS_DID: did,
    USER_PASSWORD: PASSWORD,
    ALTERAN_LOG_LEVEL: 'WARN',
    // The suites write and log in far faster than a person; the limits themselves are tested in Java.
    PDS_RATE_LIMIT_PER_MIN: '1000000',
    PDS_RATE_LIMIT_LOGIN_PER_MIN: '1000000',
    PDS_RATE_LIMIT_BLOB_PER_MIN: '1000000',
    ...extraEnv,
  }
  // Every handler output is checked against its Lexicon (a mismatch is a 500 the suites see).
  const flags = validateOutput ? ['-Dalteran.xrpc.validateOutput=true'] : []
  const child = spawn(JAVA, [...flags, '-jar', JAR, 'dev', '--port', String(port), '--data', data], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d) => { output += d })
  child.stderr.on('data', (d) => { output += d })
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`alteran exited early (${child.exitCode}):\n${output}`)
    try {
      const res = await fetch(`${url}/health`)
      if (res.status === 200) break
    } catch {}
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`alteran did not become healthy within 30 s:\n${output}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    url,
    port,
    pid: child.pid, // the JVM's own (java is spawned directly): the soak reads /proc/<pid>
    // extraEnv wins over the defaults, and what is returned follows it.
    did: env.PDS_DID,
    handle: env.PDS_HANDLE,
    password: env.USER_PASSWORD,
    dataDir: data,
    // the settings it runs with, for a command line run beside it (`alteran migrate-in`, ...)
    env,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await exited
      }
      rmSync(data, { recursive: true, force: true })
    },
  }
}
