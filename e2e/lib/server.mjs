// Starts the packaged Alteran (server/target/alteran.jar, built by `./alteran test`) in dev mode on a
// free loopback port over a temporary data directory, with known credentials, and stops it again.
// ALTERAN_E2E_TARGET=boot-tomcat or boot-jetty starts the Spring Boot example
// (examples/spring-boot/target/alteran-spring-boot-example.jar) instead, under that container, with the
// same settings as alteran.* properties (ALTERAN_<name without PDS_> in its environment).
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
const BOOT_JAR = join(ROOT, 'examples', 'spring-boot', 'target', 'alteran-spring-boot-example.jar')
/** Which server the suites run against: the standalone server, or the Spring Boot example under a container. */
export const TARGET = process.env.ALTERAN_E2E_TARGET || 'standalone'
if (!['standalone', 'boot-tomcat', 'boot-jetty'].includes(TARGET)) throw new Error(`unknown ALTERAN_E2E_TARGET ${TARGET}`)
/** What the server prints once it is ready. */
export const READY = TARGET === 'standalone' ? /Alteran dev PDS ready/ : /Started SpringBootExample/

export const HANDLE = 'alice.test'
export const PASSWORD = 'e2e-password-not-secret'

/** A loopback port free at the moment of asking. */
export function freePort() {
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

/** The settings as the starter reads them: PDS_X is ALTERAN_X, the other names gain ALTERAN_. */
function bootEnv(env, port, data) {
  const names = /^(PDS_|ALTERAN_ENV$|USER_PASSWORD$|ACCESS_TOKEN$|REFRESH_TOKEN$|REPO_SIGNING_KEY$)/
  const out = {}
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith('ALTERAN_') && k !== 'ALTERAN_ENV') continue // the harness's own, not settings
    if (names.test(k)) out[k.startsWith('PDS_') ? `ALTERAN_${k.slice(4)}` : k.startsWith('ALTERAN_') ? k : `ALTERAN_${k}`] = v
    else out[k] = v
  }
  // What `alteran dev` does for itself: fresh secrets, the host and the data directory.
  const hex = (n) => randomBytes(n).toString('hex')
  return {
    ALTERAN_ACCESS_TOKEN: hex(32),
    ALTERAN_REFRESH_TOKEN: hex(32),
    ALTERAN_REPO_SIGNING_KEY: hex(32),
    ALTERAN_PLC_ROTATION_KEY: hex(32),
    ALTERAN_HOSTNAME: `localhost:${port}`,
    ...out,
    ALTERAN_ENV: 'dev',
    ALTERAN_DATA_DIR: data,
  }
}

function bootArgs(port) {
  const args = [`--server.port=${port}`, '--server.address=127.0.0.1', '--logging.level.root=WARN',
    '--logging.level.dev.alteran.examples.boot=INFO']
  // The example carries both containers; the other one's auto-configuration is left out.
  const other = TARGET === 'boot-jetty'
    ? 'org.springframework.boot.tomcat.autoconfigure.servlet.TomcatServletWebServerAutoConfiguration'
    : 'org.springframework.boot.jetty.autoconfigure.servlet.JettyServletWebServerAutoConfiguration'
  args.push(`--spring.autoconfigure.exclude=${other}`)
  return args
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
  const child = TARGET === 'standalone'
    ? spawn(JAVA, [...flags, '-jar', JAR, 'dev', '--port', String(port), '--data', data], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(JAVA, [...flags, '-jar', BOOT_JAR, ...bootArgs(port)], { env: bootEnv(env, port, data), stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d) => { output += d })
  child.stderr.on('data', (d) => { output += d })
  const url = `http://127.0.0.1:${port}`
  // A Spring Boot fat jar starts slower than the standalone server, more so on a busy machine.
  const wait = TARGET === 'standalone' ? 30_000 : 90_000
  const deadline = Date.now() + wait
  for (;;) {
    if (child.exitCode !== null) throw new Error(`alteran exited early (${child.exitCode}):\n${output}`)
    try {
      const res = await fetch(`${url}/health`)
      if (res.status === 200) break
    } catch {}
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`alteran did not become healthy within ${wait / 1000} s:\n${output}`)
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
