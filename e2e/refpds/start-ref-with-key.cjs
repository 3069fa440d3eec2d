// Starts the reference PDS (@atproto/dev-env from REFPDS_HOME, as ../shared/refpds installs it) with
// one account, and prints one JSON line: {url, did, handle, password, signingKey}. signingKey is the
// account's repo signing key as hex, read from the reference's actor store: the key the move test
// then configures in Alteran. It keeps running until killed.
const path = require('node:path')
const fs = require('node:fs/promises')
const home = process.env.REFPDS_HOME || path.join(require('node:os').homedir(), '.cache', 'refpds')
const requireRef = require('node:module').createRequire(path.join(home, 'package.json'))
const { TestNetworkNoAppView } = requireRef('@atproto/dev-env')

async function main() {
  const port = Number(process.env.PORT || 2583)
  const net = await TestNetworkNoAppView.create({ pds: { port } })
  const agent = net.pds.getClient()
  const handle = 'alice.test'
  const password = 'hunter2'
  await agent.createAccount({ email: 'alice@example.com', handle, password })
  const did = agent.session.did
  const { keyLocation } = await net.pds.ctx.actorStore.getLocation(did)
  const signingKey = Buffer.from(await fs.readFile(keyLocation)).toString('hex')
  console.log(JSON.stringify({ url: net.pds.url, did, handle, password, signingKey }))
}
main().catch((e) => { console.error(e); process.exit(1) })
