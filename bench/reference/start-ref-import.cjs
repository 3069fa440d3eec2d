// The reference PDS as ../shared/refpds starts it (@atproto/dev-env, an in-memory PLC directory, one
// account), but with its operator's importRepo limit (maxImportSize; PDS_MAX_REPO_IMPORT_SIZE in a
// deployment) set to MAX_IMPORT_SIZE bytes, so that it takes the HTTP benchmark's largest CAR.
// Prints the same JSON line: {"url","did","handle","password","plc"}, then keeps running.
const { TestNetworkNoAppView } = require('@atproto/dev-env')

async function main() {
  const port = Number(process.env.PORT)
  const maxImportSize = Number(process.env.MAX_IMPORT_SIZE)
  const net = await TestNetworkNoAppView.create({ pds: { port, maxImportSize } })
  const agent = net.pds.getClient()
  const handle = 'alice.test'
  const password = 'hunter2'
  await agent.createAccount({ email: 'alice@example.com', handle, password })
  console.log(JSON.stringify({ url: net.pds.url, did: agent.session.did, handle, password, plc: net.plc.url }))
}
main().catch((e) => { console.error(e); process.exit(1) })
