// First contact, as a new user meets it: the launcher's help lists every CLI command; the CLI runs in
// the directory the person stands in, so relative paths are theirs (not the checkout's); and the jar
// on a Java older than 21 says what it needs instead of failing with a class-version error; and the
// first stop of `alteran dev` writes the start-up cache that the restart maps.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { freePort } from '../lib/server.mjs'

const run = promisify(execFile)
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const LAUNCHER = join(ROOT, 'alteran')
const JAR = join(ROOT, 'server', 'target', 'alteran.jar')
const OLD_JAVA = '/usr/lib/jvm/java-17-openjdk-amd64/bin/java'

function elsewhere() {
  return mkdtempSync(join(tmpdir(), 'alteran-launcher-'))
}

test('--help shows the launcher and every CLI command', async () => {
  const cwd = elsewhere()
  try {
    const { stdout } = await run(LAUNCHER, ['--help'], { cwd })
    assert.match(stdout, /\.\/alteran dev/)
    for (const command of ['serve', 'secrets', 'export', 'import', 'verify', 'plc', 'oauth', 'migrate-in', 'migrate-out']) {
      assert.match(stdout, new RegExp(`^  ${command} `, 'm'), `${command} in:\n${stdout}`)
    }
  } finally {
    rmSync(cwd, { recursive: true, force: true })
  }
})

test('secrets writes alteran.env where the person stands, not into the checkout', async () => {
  const cwd = elsewhere()
  const before = existsSync(join(ROOT, 'alteran.env')) ? statSync(join(ROOT, 'alteran.env')).mtimeMs : null
  try {
    await run(LAUNCHER, ['secrets', '--env', 'dev', '--handle', 'alice.test'], { cwd })
    assert.match(readFileSync(join(cwd, 'alteran.env'), 'utf8'), /^PDS_HANDLE=alice\.test$/m)
    const after = existsSync(join(ROOT, 'alteran.env')) ? statSync(join(ROOT, 'alteran.env')).mtimeMs : null
    assert.equal(after, before, 'the checkout has no new alteran.env')
    // A relative --out is relative to the same place.
    await run(LAUNCHER, ['secrets', '--env', 'dev', '--handle', 'alice.test', '--out', 'sub.env'], { cwd })
    assert.ok(existsSync(join(cwd, 'sub.env')))
  } finally {
    rmSync(cwd, { recursive: true, force: true })
  }
})

test('the jar on Java 17 names the Java it needs and where the launcher looks', { skip: !existsSync(OLD_JAVA) && `no ${OLD_JAVA}` }, async () => {
  const failed = await run(OLD_JAVA, ['-jar', JAR, 'serve']).then(() => null, (e) => e)
  assert.ok(failed, 'the jar must not run on Java 17')
  assert.equal(failed.code, 1)
  assert.doesNotMatch(failed.stderr, /UnsupportedClassVersionError/)
  assert.match(failed.stderr, /Java 21 or newer is needed, but this is Java 17/)
  assert.match(failed.stderr, /JAVA_HOME/)
})


/** `alteran dev` through the launcher at home, once its health route answers 200. */
async function startDev(home, data, env) {
  const port = await freePort()
  const child = spawn(join(home, 'alteran'), ['dev', '--port', String(port), '--data', data], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d) => { output += d })
  child.stderr.on('data', (d) => { output += d })
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  let gone = false
  exited.then(() => { gone = true })
  const deadline = Date.now() + 120_000
  for (;;) {
    assert.ok(!gone, `the server exited before it answered:\n${output}`)
    assert.ok(Date.now() < deadline, `no 200 on /health within 120 s:\n${output}`)
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status === 200, () => false)
    if (ok) return { child, exited, output: () => output }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

test('dev: a start that fails trains nothing; the first stop of a server writes the start-up cache, and the restart maps it', { timeout: 600_000 }, async () => {
  // The launcher and the packaged jar copied side by side, so the checkout's own cache is left alone.
  const home = elsewhere()
  const data = join(home, 'data')
  try {
    mkdirSync(join(home, 'bin'))
    mkdirSync(join(home, 'server', 'target'), { recursive: true })
    copyFileSync(LAUNCHER, join(home, 'alteran'))
    chmodSync(join(home, 'alteran'), 0o755)
    for (const f of ['find-java.sh', 'jvm-flags.sh']) copyFileSync(join(ROOT, 'bin', f), join(home, 'bin', f))
    copyFileSync(JAR, join(home, 'server', 'target', 'alteran.jar'))
    const env = { ...process.env }
    if (process.env.ALTERAN_JAVA) env.JAVA_HOME = dirname(dirname(process.env.ALTERAN_JAVA))
    const release = env.JAVA_HOME && existsSync(join(env.JAVA_HOME, 'release')) ? readFileSync(join(env.JAVA_HOME, 'release'), 'utf8') : ''
    const major = Number((/^JAVA_VERSION="(\d+)/m.exec(release) || [])[1] || 0)
    // JDK 25 and newer: the AOT cache; 21 to 24: the AppCDS archive.
    const cache = join(home, 'server', 'target', major >= 25 ? 'alteran.aot' : 'alteran.jsa')

    const training = join(home, 'server', 'target', 'alteran.training')

    // A first run that ends at once (here a bad option) writes a cache of almost nothing as it exits;
    // its marker stays, so the next start trains again instead of mapping that.
    const failed = await run(join(home, 'alteran'), ['dev', '--port', 'no-port', '--data', data], { env }).then(() => null, (e) => e)
    assert.ok(failed && failed.code !== 0, 'dev with a bad port fails')
    assert.ok(existsSync(training), 'the failed run left its training marker')
    const untrained = existsSync(cache) ? statSync(cache).mtimeMs : 0

    const first = await startDev(home, data, env)
    assert.ok(!existsSync(training), 'a serving run removes the marker')
    first.child.kill('SIGTERM') // as Ctrl-C or a service manager stops it
    await first.exited
    assert.ok(existsSync(cache), `the first stop wrote ${cache}:\n${first.output()}`)
    assert.ok(!existsSync(`${cache}.config`), 'the AOT cache was completed')
    const written = statSync(cache).mtimeMs
    assert.ok(written > untrained, 'the serving run wrote the cache again')

    const second = await startDev(home, data, env)
    try {
      const maps = readFileSync(`/proc/${second.child.pid}/maps`, 'utf8')
      assert.ok(maps.includes(cache), `the restart's JVM maps ${cache}`)
    } finally {
      second.child.kill('SIGTERM')
      await second.exited
    }
    assert.equal(statSync(cache).mtimeMs, written, 'a restart leaves the cache as it was (no new write at every stop)')
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
})
