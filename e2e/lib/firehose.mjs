// The firehose as a relay reads it, through the official @atproto/xrpc-server Subscription.
import { Subscription } from '@atproto/xrpc-server'

export const FIREHOSE = 'com.atproto.sync.subscribeRepos'

/**
 * Subscribes to the server at `url` (from `cursor`, or live when it is undefined) and collects events
 * until `done(events)` holds or `timeoutMs` pass; a stream error (an error frame) rejects.
 */
export async function collectEvents(url, { cursor, done, timeoutMs = 30_000 }) {
  const ac = new AbortController()
  const timer = setTimeout(() => ac.abort(), timeoutMs)
  const sub = new Subscription({
    service: url.replace('http://', 'ws://'),
    method: FIREHOSE,
    signal: ac.signal,
    getParams: () => (cursor === undefined ? {} : { cursor }),
    validate: (v) => v,
  })
  const events = []
  try {
    for await (const evt of sub) {
      events.push(evt)
      if (done(events)) break
    }
  } catch (err) {
    if (err?.name !== 'AbortError') throw err
  } finally {
    clearTimeout(timer)
    ac.abort()
  }
  return events
}
