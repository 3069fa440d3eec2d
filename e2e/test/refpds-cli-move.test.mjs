// Alteran's own one-command move against the official reference PDS: `alteran migrate-in` takes
// Alice from the reference PDS (its PLC directory from @atproto/dev-env, as in refpds-move.test.mjs)
// to a running Alteran, answering its questions on standard input (--password-stdin) as a person
// answers them on the terminal: the old password, then the code the old host e-mails. Then
// `alteran migrate-out` takes her on to a second, fresh reference PDS.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AtpAgent } from '@atproto/api'
import { verifyRepoCar } from '@atproto/repo'
import { Secp256k1Keypair } from '@atproto/crypto'
import { freePort, startServer } from '../lib/server.mjs'
import { assertCarried, png, snapshot, startReference } from '../refpds/move.mjs'

const JAR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'server', 'target', 'alteran.jar')
const JAVA = process.env.ALTERAN_JAVA || 'java'

let ref, alteran

before(async () => {
  ref = await startReference()
}, { timeout: 120_000 })
after(async () => {
  await alteran?.stop()
  ref?.stop()
})

/**
 * Runs an `alteran` command beside the server, with its settings (its environment and the dev.env
 * `alteran dev` wrote), and answers on stdin: `answers`
 * maps a regular expression on an output line to the answer it gets (first answers are sent at
 * once). Resolves with the exit code and the output.
 */
function alteranCli(args, { first = [], answers = [] } = {}) {
  const child = spawn(JAVA, ['-jar', JAR, ...args], { env: { ...alteran.env, ALTERAN_ENV: 'dev', ALTERAN_LOG_LEVEL: 'WARN' },
    stdio: ['pipe', 'pipe', 'pipe'] })
  for (const line of first) child.stdin.write(line + '\n')
  let output = ''
  child.stderr.on('data', (d) => { output += d })
  const lines = createInterface({ input: child.stdout })
  lines.on('line', async (line) => {
    output += line + '\n'
    for (const [pattern, answer] of answers) {
      if (pattern.test(line)) child.stdin.write((await answer()) + '\n')
    }
  })
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, output })))
}

test('alteran migrate-in moves an account from the reference PDS, and migrate-out on to a second one', { timeout: 300_000 }, async () => {
  const { did, handle } = ref
  const old = new AtpAgent({ service: ref.url })
  await old.login({ identifier: handle, password: ref.password })
  const images = []
  for (const colour of [[10, 200, 10], [200, 10, 200]]) {
    const blob = (await old.uploadBlob(png(5, 3, colour), { encoding: 'image/png' })).data.blob
    images.push({ alt: `colour ${colour}`, image: blob, aspectRatio: { width: 5, height: 3 } })
  }
  await old.post({ text: 'two images', createdAt: new Date().toISOString(), embed: { $type: 'app.bsky.embed.images', images } })
  for (let i = 0; i < 5; i++) await old.post({ text: `post ${i}`, createdAt: new Date().toISOString() })
  await old.app.bsky.actor.putPreferences({ preferences: [{ $type: 'app.bsky.actor.defs#adultContentPref', enabled: true }] })
  const snap = await snapshot(old, did)

  const rotationKey = await Secp256k1Keypair.create({ exportable: true })
  alteran = await startServer({ PDS_DID: did, PDS_HANDLE: handle, PDS_PLC_URL: ref.plc,
    PDS_PLC_ROTATION_KEY: Buffer.from(await rotationKey.export()).toString('hex') })

  const moveIn = await alteranCli(['migrate-in', '--data', alteran.dataDir, '--env-file', join(alteran.dataDir, 'dev.env'), '--from', ref.url, '--identifier', handle,
    '--to', alteran.url, '--password-stdin'], {
    first: [ref.password],
    answers: [[/confirmation code/, async () => (await ref.ask({ cmd: 'token', pds: 0, did, purpose: 'plc_operation' })).token]],
  })
  assert.equal(moveIn.code, 0, moveIn.output)

  // The directory names Alteran and its key; Alteran is active with everything; the old account is deactivated.
  const plcData = await (await fetch(`${ref.plc}/${did}/data`)).json()
  assert.equal(plcData.services.atproto_pds.endpoint, alteran.url)
  assert.ok(plcData.rotationKeys.includes(rotationKey.did()))
  const agent = new AtpAgent({ service: alteran.url })
  await agent.login({ identifier: did, password: alteran.password })
  const status = (await agent.com.atproto.server.checkAccountStatus()).data
  assert.equal(status.activated, true)
  assert.equal(status.validDid, true)
  assert.equal(status.importedBlobs, 2)
  await assertCarried(agent, did, snap)
  const car = new Uint8Array((await agent.com.atproto.sync.getRepo({ did })).data)
  assert.equal((await verifyRepoCar(car, did, plcData.verificationMethods.atproto)).creates.length, Object.keys(snap.records).length)
  assert.equal((await old.com.atproto.server.checkAccountStatus()).data.activated, false)

  // Run again: nothing is left to do, and nothing changes.
  const again = await alteranCli(['migrate-in', '--data', alteran.dataDir, '--env-file', join(alteran.dataDir, 'dev.env'), '--from', ref.url, '--identifier', handle,
    '--to', alteran.url, '--password-stdin'], { first: [ref.password] })
  assert.equal(again.code, 0, again.output)
  assert.equal((await (await fetch(`${ref.plc}/${did}/log/audit`)).json()).length, 2)

  // On to a second, fresh reference PDS: this server makes the PLC code itself; the new password is asked.
  const second = await ref.ask({ cmd: 'pds', port: await freePort() })
  const moveOut = await alteranCli(['migrate-out', '--data', alteran.dataDir, '--env-file', join(alteran.dataDir, 'dev.env'), '--to', second.url, '--from', alteran.url,
    '--email', 'alice@example.com', '--password-stdin'], { first: ['hunter3'] })
  assert.equal(moveOut.code, 0, moveOut.output)
  const next = new AtpAgent({ service: second.url })
  await next.login({ identifier: did, password: 'hunter3' })
  const status2 = (await next.com.atproto.server.checkAccountStatus()).data
  assert.equal(status2.activated, true)
  assert.equal(status2.validDid, true)
  await assertCarried(next, did, snap)
  assert.equal((await agent.com.atproto.server.checkAccountStatus()).data.activated, false)
})
