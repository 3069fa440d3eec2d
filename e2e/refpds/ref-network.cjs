// Starts the reference PDS (@atproto/dev-env, installed beside this file by install.sh) with its
// in-memory PLC directory and one account, and prints one JSON line:
//   {url, did, handle, password, plc, serviceDid}
// It then answers JSON lines on stdin, one JSON line each on stdout, until stdin closes:
//   {"cmd":"token","pds":N,"did":DID,"purpose":P}  the e-mail token the reference would have sent
//     (purpose "plc_operation" for requestPlcOperationSignature), read from PDS N's account database
//     as the reference's own tests read it -> {token}
//   {"cmd":"pds","port":P}  starts one more, fresh reference PDS on the same PLC directory -> {pds: N, url, serviceDid}
//   {"cmd":"serviceJwt","pds":N,"did":DID,"aud":A,"lxm":L,"exp":E}  a service token signed with the key
//     PDS N holds for DID, with any exp (getServiceAuth refuses one in the past) -> {token}
// Errors answer {error}. The move test (../test/refpds-move.test.mjs) drives it; it never shares keys with Alteran.
const { createInterface } = require('node:readline')
let ref
try {
  ref = { ...require('@atproto/dev-env'), ...require('@atproto/xrpc-server') }
} catch (e) {
  if (e?.code !== 'MODULE_NOT_FOUND') throw e
  console.error(`the reference PDS is not installed (${e.message.split('\n')[0]}): run e2e/refpds/install.sh (./alteran test does)`)
  process.exit(2)
}
const { TestNetworkNoAppView, TestPds, mockNetworkUtilities, createServiceJwt } = ref

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
    async serviceJwt({ pds = 0, did, aud, lxm, exp }) {
      const keypair = await pdses[pds].ctx.actorStore.keypair(did)
      return { token: await createServiceJwt({ iss: did, aud, lxm, exp, keypair }) }
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
