// The migration benchmark of BENCHMARKS.md: the time for a new host to take in an account of
// RECORDS records and BLOBS images, Alteran next to the reference PDS, in one run on one machine.
// Alice is filled on a reference PDS (the in-memory PLC directory of @atproto/dev-env, through
// ref-network.cjs), moves to Alteran, then on to a second, fresh reference PDS: both moves are the
// `goat account migrate` sequence (createAccount with a service token, importRepo, the missing blobs,
// preferences, the PLC operation, activateAccount), and each new host's steps are timed.
// Run by bench/migration.sh; prints a Markdown table and writes it to --out.
import { writeFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { AtpAgent } from '@atproto/api'
import { Secp256k1Keypair } from '@atproto/crypto'
import { freePort, startServer } from '../lib/server.mjs'
import { migrate, noisePng, startReference } from './move.mjs'

const args = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = args.indexOf('--' + name)
  return i >= 0 ? args[i + 1] : dflt
}
const RECORDS = Number(opt('records', 10_000))
const BLOBS = Number(opt('blobs', 200))
const BLOB_SIDE = Number(opt('blob-side', 128)) // a side x side RGB noise PNG: 48 KiB at 128
const OUT = opt('out', null)

function progress(label, done, total) {
  if (!process.stderr.isTTY) return
  const width = 30
  const filled = Math.round((done / total) * width)
  process.stderr.write(`\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}`)
  if (done === total) process.stderr.write('\n')
}

/** Fills the account: RECORDS posts, BLOBS of them with an image. */
async function fill(agent, did) {
  const createdAt = new Date().toISOString()
  const writes = []
  for (let i = 0; i < BLOBS; i++) {
    const blob = (await agent.uploadBlob(noisePng(BLOB_SIDE), { encoding: 'image/png' })).data.blob
    writes.push({ text: `image ${i}`, createdAt, embed: { $type: 'app.bsky.embed.images',
      images: [{ alt: `image ${i}`, image: blob, aspectRatio: { width: BLOB_SIDE, height: BLOB_SIDE } }] } })
    progress('filling: blobs  ', i + 1, BLOBS)
  }
  while (writes.length < RECORDS) writes.push({ text: `post ${writes.length}`, createdAt })
  for (let i = 0; i < writes.length; i += 200) {
    await agent.com.atproto.repo.applyWrites({ repo: did, writes: writes.slice(i, i + 200).map((value) =>
      ({ $type: 'com.atproto.repo.applyWrites#create', collection: 'app.bsky.feed.post', value: { $type: 'app.bsky.feed.post', ...value } })) })
    progress('filling: records', Math.min(i + 200, writes.length), writes.length)
  }
  await agent.app.bsky.actor.putPreferences({ preferences: [{ $type: 'app.bsky.actor.defs#adultContentPref', enabled: false }] })
}

/** One move, old -> new host, the new host's steps timed; the export (getRepo, getBlob) is the old host's work, timed apart. */
async function move(args) {
  const t = { createAccount: 0, export: 0, importRepo: 0, listMissingBlobs: 0, uploadBlob: 0, submitPlcOperation: 0, activateAccount: 0 }
  let uploaded = 0
  const time = async (step, fn) => {
    const start = performance.now()
    try {
      return await fn()
    } finally {
      t[step] += performance.now() - start
      if (step === 'uploadBlob') progress(`moving to ${args.newUrl}: blobs`, ++uploaded, BLOBS)
    }
  }
  const { neu, carBytes } = await migrate({ ...args, time })
  const status = (await neu.com.atproto.server.checkAccountStatus()).data
  if (!status.activated || !status.validDid || status.indexedRecords < RECORDS || status.importedBlobs !== BLOBS) {
    throw new Error(`the move did not carry everything: ${JSON.stringify(status)}`)
  }
  return { neu, t: { ...t, blobs: t.listMissingBlobs + t.uploadBlob, carBytes } }
}

async function main() {
  const ref = await startReference()
  let alteran
  try {
    const { did, handle } = ref
    const old = new AtpAgent({ service: ref.url })
    await old.login({ identifier: handle, password: ref.password })
    console.error(`bench: filling ${handle} on the reference PDS with ${RECORDS} records and ${BLOBS} images...`)
    await fill(old, did)

    const rotationKey = await Secp256k1Keypair.create({ exportable: true })
    // Alteran as a person runs it: request logs at INFO, no output checking.
    alteran = await startServer({
      PDS_DID: did, PDS_HANDLE: handle, PDS_PLC_URL: ref.plc, ALTERAN_LOG_LEVEL: 'INFO',
      PDS_PLC_ROTATION_KEY: Buffer.from(await rotationKey.export()).toString('hex'),
    }, { validateOutput: false })
    const toAlteran = await move({ old, newUrl: alteran.url, did, handle, password: alteran.password,
      plcToken: async () => (await ref.ask({ cmd: 'token', pds: 0, did, purpose: 'plc_operation' })).token })

    const next = await ref.ask({ cmd: 'pds', port: await freePort() })
    const toRef = await move({ old: toAlteran.neu, newUrl: next.url, did, handle, password: 'second-password',
      // migrate() asked Alteran for the token; without e-mail settings it is left in the data directory
      plcToken: async () => readFileSync(join(alteran.dataDir, 'plc-token.txt'), 'utf8').split('\n')[0].trim() })

    const s = (ms) => (ms / 1000).toFixed(2)
    const newHost = (t) => t.createAccount + t.importRepo + t.blobs + t.submitPlcOperation + t.activateAccount
    const rows = [
      ['createAccount + createSession', toAlteran.t.createAccount, toRef.t.createAccount],
      ['importRepo', toAlteran.t.importRepo, toRef.t.importRepo],
      [`${BLOBS} blobs (listMissingBlobs + uploadBlob)`, toAlteran.t.blobs, toRef.t.blobs],
      ['submitPlcOperation', toAlteran.t.submitPlcOperation, toRef.t.submitPlcOperation],
      ['activateAccount', toAlteran.t.activateAccount, toRef.t.activateAccount],
      ['**the new host in all**', newHost(toAlteran.t), newHost(toRef.t)],
    ]
    const table = [
      `Moving in an account of ${RECORDS.toLocaleString('en')} records and ${BLOBS} images (${BLOB_SIDE}x${BLOB_SIDE} PNG, ` +
        `${(toAlteran.t.carBytes / 1e6).toFixed(1)} MB CAR), seconds:`,
      '',
      '| Step on the new host | Alteran | Reference PDS | Ratio |',
      '|---|---:|---:|---:|',
      ...rows.map(([name, a, r]) => `| ${name} | ${s(a)} | ${s(r)} | ${(r / a).toFixed(1)}x |`),
      '',
      `Exporting (the old host's getRepo and getBlob): reference ${s(toAlteran.t.export)} s, Alteran ${s(toRef.t.export)} s.`,
    ].join('\n')
    console.log(table)
    if (OUT) writeFileSync(OUT, table + '\n')
  } finally {
    await alteran?.stop()
    ref.stop()
  }
}

main().catch((e) => { console.error(e); process.exit(1) })
