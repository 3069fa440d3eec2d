// The soak run for 60 seconds (bench/soak.sh runs it for 30 minutes by default): the same load and the
// same pass conditions, see lib/soak.mjs. Zero 5xx and no other errors, no event lost or reordered
// for any of the 50 subscribers across their reconnects, every commit verified by the relay-style
// consumer, gc and prune run beside the server, flat memory, and `alteran verify` passes at the end.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { soak, summaryText } from '../lib/soak.mjs'

test('a 60-second soak: no errors, no lost or reordered events, flat memory, verify passes', { timeout: 240_000 }, async () => {
  const result = await soak({ durationSec: 60, sampleSec: 2, maintenanceSec: 20 })
  const text = summaryText(result)
  console.log(text)
  const s = result.summary
  assert.equal(s.status5xx, 0, text)
  assert.equal(s.status4xx + s.networkErrors, 0, text)
  assert.equal(s.lost, 0, text)
  assert.equal(s.reordered, 0, text)
  assert.equal(s.relayErrors, 0, text)
  assert.ok(s.relayCommits > 0, text)
  assert.ok(s.flat.heapOk && s.flat.rssOk, text)
  assert.deepEqual(result.failures, [], text)
  assert.ok(result.passed, text)
})
