// An approver of the custody back-office as its own process (custody-server.test.mjs starts it):
// reads the withdrawal's digest from the server over HTTP, seals an Ed25519 approval envelope
// with its own key and posts it; prints the server's answer as one JSON line.
// Arguments: <serverUrl> <withdrawalId> <approverIndex> <seq> <issuedAt> <expiresAt>.
// Started without arguments (as `node --test sdk-ts/test/` does with every .mjs here) it exits 0.
import { sealCustodyApproval } from '@countersign/sdk';

const [url, withdrawalId, index, seq, issuedAt, expiresAt] = process.argv.slice(2);
if (url !== undefined) {
  const view = await (await fetch(`${url}/custody/withdrawals/${encodeURIComponent(withdrawalId)}`)).json();
  const envelope = sealCustodyApproval({
    approverId: `approver-${index}`,
    secretKey: new Uint8Array(32).fill(0x40 + Number(index)),
    digest: view.digest,
    seq: BigInt(seq),
    issuedAt: Number(issuedAt),
    expiresAt: Number(expiresAt),
  });
  const response = await fetch(`${url}/custody/withdrawals/${encodeURIComponent(withdrawalId)}/approvals`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ envelope: Buffer.from(envelope).toString('hex') }),
  });
  process.stdout.write(`${JSON.stringify({ status: response.status, body: await response.json() })}\n`);
}
