// First contact, as a new user meets it: the launcher's help lists every CLI command; the CLI runs in
// the directory the person stands in, so relative paths are theirs (not the checkout's); and the jar
// on a Java older than 21 says what it needs instead of failing with a class-version error.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

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
