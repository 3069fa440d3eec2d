// Starts the reference PDS (@atproto/dev-env from REFPDS_HOME, as ../shared/refpds installs it) with
// its in-memory PLC directory and one account, and prints one JSON line:
//   {url, did, handle, password, plc, serviceDid}
// It then answers JSON lines on stdin, one JSON line each on stdout, until stdin closes:
//   {"cmd":"token","pds":N,"did":DID,"purpose":P}  the e-mail token the reference would have sent
//     (purpose "plc_operation" for requestPlcOperationSignature), read from PDS N's account database
//     as the reference's own tests read it -> {token}
//   {"cmd":"pds","port":P}  starts one more, fresh reference PDS on the same PLC directory -> {pds: N, url, serviceDid}
// Errors answer {error}. The move test (refpds-move.mjs) drives it; it never shares keys with Alteran.
const path = require('node:path')
const { createInterface } = require('node:readline')
const home = process.env.REFPDS_HOME || path.join(require('node:os').homedir(), '.cache', 'refpds')
const requireRef = require('node:module').createRequire(path.join(home, 'package.json'))
const { TestNetworkNoAppView, TestPds, mockNetworkUtilities } = requireRef('@atproto/dev-env')

async function main() {
  const port = Number(process.env.PORT || 2583)
  const net = await TestNetworkNoAppView.create({ pds: { port } })
  const pdses = [net.pds]
  const agent = net.pds.getClient()
  const handle = 'alice.test'
  const password = 'hunter2'
  await agent.createAccount({ email: 'alice@example.com', handle, password })
  console.log(JSON.stringify({ url: net.pds.url, did: agent.session.did, handle, password, plc: net.plc.url,
    serviceDid: net.pds.ctx.cfg.service.did }))

  const handlers = {
    async token({ pds = 0, did, purpose }) {
      const row = await pdses[pds].ctx.accountManager.db.db.selectFrom('email_token').select('token')
        .where('did', '=', did).where('purpose', '=', purpose).executeTakeFirst()
      if (!row) throw new Error(`no ${purpose} token for ${did}`)
      return { token: row.token }
    },
    async pds({ port }) {
      const next = await TestPds.create({ didPlcUrl: net.plc.url, port })
      mockNetworkUtilities(next)
      pdses.push(next)
      return { pds: pdses.length - 1, url: next.url, serviceDid: next.ctx.cfg.service.did }
    },
  }
  const lines = createInterface({ input: process.stdin })
  for await (const line of lines) {
    let answer
    try {
      const req = JSON.parse(line)
      answer = await handlers[req.cmd](req)
    } catch (e) {
      answer = { error: String(e?.stack || e) }
    }
    console.log(JSON.stringify(answer))
  }
  for (const p of pdses.slice(1)) await p.close()
  await net.close()
  process.exit(0)
}
main().catch((e) => { console.error(e); process.exit(1) })
