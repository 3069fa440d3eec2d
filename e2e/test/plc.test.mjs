// The did:plc vectors the Java tests check against (atproto/src/test/resources/plc/vectors.json) are still what
// the reference library makes: regenerated in memory and compared. No server needed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { generateVectors, VECTORS_PATH } from '../tools/plc-vectors.mjs'

test('@did-plc/lib still produces the committed PLC vectors', async () => {
  const committed = JSON.parse(readFileSync(VECTORS_PATH, 'utf8'))
  const fresh = await generateVectors()
  assert.deepEqual(fresh, committed,
    'the vectors changed; regenerate with `node tools/plc-vectors.mjs` in e2e/ and rerun the Java PlcVectorsTest')
})
