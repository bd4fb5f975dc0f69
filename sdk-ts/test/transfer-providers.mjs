// Two simulated receiving providers ("provider B") for the transfer router's tests, each an HTTP
// server on 127.0.0.1 with its own format and its own SDK Ledger, and faults on demand:
// - `plain`: takes the router's plain JSON instruction (`application/json`);
// - `fspiop`: takes a Mojaloop-style body (`application/vnd.interop.transfers+json`: amount as
//   {amount, currency}, `expiration` as an ISO 8601 string, `payee.partyIdInfo.partyIdentifier`),
//   made by `fspiopFormat` below, which the test plugs into the router as that provider's format.
// Rules of both (what a real provider B does): a quote draws a fulfilment and answers its
// condition; a transfer is credited only before its `expiresAt`, only with the quote's condition
// and amount, once per transferId (the ledger's idempotency key is the transferId: a retry answers
// the same, nothing twice), and the fulfilment is released only after the credit.
// Faults: `fail5xx: n` answers the next n calls 503; `hangAfterCommit: n` credits the next n
// transfers and then never answers (the router's request times out); `duplicateCallback` PUTs the
// fulfilment to the router's callback URL twice after crediting; `decline` aborts every transfer.
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Ledger, sha256 } from '@countersign/sdk';

const hex = (b) => Buffer.from(b).toString('hex');
export const PAYEES = ['bob', 'carol'];

export const fspiopFormat = (i) => ({
  contentType: 'application/vnd.interop.transfers+json',
  body: JSON.stringify({
    transferId: i.transferId,
    quoteId: i.quoteId,
    payerFsp: 'providerA',
    payee: { partyIdInfo: { partyIdType: 'ACCOUNT_ID', partyIdentifier: i.payeeAccount } },
    amount: { amount: i.amount, currency: i.currency },
    condition: i.condition,
    expiration: new Date(i.expiresAt * 1000).toISOString(),
  }),
});

function parseTransfer(format, contentType, body) {
  const m = JSON.parse(body);
  if (format === 'plain') {
    if (contentType !== 'application/json') throw new Error(`unsupported content type ${contentType}`);
    return m;
  }
  if (contentType !== 'application/vnd.interop.transfers+json') throw new Error(`unsupported content type ${contentType}`);
  return {
    transferId: m.transferId, quoteId: m.quoteId, amount: m.amount.amount, currency: m.amount.currency,
    payeeAccount: m.payee.partyIdInfo.partyIdentifier, condition: m.condition, expiresAt: Math.floor(Date.parse(m.expiration) / 1000),
  };
}

export async function startProvider({ format = 'plain', currency = 'EUR', clock = () => Math.floor(Date.now() / 1000), callbackUrl = () => undefined } = {}) {
  const ledger = Ledger.create();
  let keys = 0;
  const key = () => `k${++keys}`;
  ledger.openAccount({ idempotencyKey: key(), now: clock(), accountId: 'settlement:A', currency, kind: 'unrestricted' });
  for (const id of PAYEES) ledger.openAccount({ idempotencyKey: key(), now: clock(), accountId: id, currency, kind: 'nonNegative' });
  const quotes = new Map(); // quoteId -> { fulfilment, condition, amount, payeeAccount }
  const answers = new Map(); // transferId -> answer
  const faults = { fail5xx: 0, hangAfterCommit: 0, duplicateCallback: false, decline: false };
  const seen = { quotes: 0, transfers: 0, callbacks: [] };
  const hanging = new Set();

  async function callbackTwice(transferId, fulfilment) {
    const url = callbackUrl();
    if (url === undefined) return;
    for (let i = 0; i < 2; i++) {
      try {
        const res = await fetch(`${url}/callbacks/${encodeURIComponent(transferId)}`, {
          method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fulfilment }),
        });
        seen.callbacks.push({ transferId, status: res.status, answer: await res.json() });
      } catch (e) {
        seen.callbacks.push({ transferId, error: String(e) });
      }
    }
  }

  function transfer(t) {
    const known = answers.get(t.transferId);
    if (known) return known;
    const q = quotes.get(t.quoteId);
    let answer;
    if (faults.decline) answer = { state: 'ABORTED', reason: 'payee declined' };
    else if (!q || q.condition !== t.condition || q.amount !== t.amount || q.payeeAccount !== t.payeeAccount) answer = { state: 'ABORTED', reason: 'terms differ from the quote' };
    else if (clock() >= t.expiresAt) answer = { state: 'ABORTED', reason: 'expired' };
    else {
      const out = ledger.transfer({ idempotencyKey: t.transferId, now: clock(), debitAccountId: 'settlement:A', creditAccountId: t.payeeAccount, amount: t.amount, currency });
      answer = out.code === 'TRANSFERRED' ? { state: 'COMMITTED', fulfilment: q.fulfilment } : { state: 'ABORTED', reason: out.code };
    }
    answers.set(t.transferId, answer);
    return answer;
  }

  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const reply = (status, value) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    try {
      if (faults.fail5xx > 0) {
        faults.fail5xx--;
        return reply(503, { error: 'try again' });
      }
      if (req.method === 'POST' && req.url === '/quotes') {
        seen.quotes++;
        const m = JSON.parse(body);
        if (!quotes.has(m.quoteId)) {
          const fulfilment = randomBytes(32);
          quotes.set(m.quoteId, { fulfilment: hex(fulfilment), condition: hex(sha256(fulfilment)), amount: m.amount, payeeAccount: m.payeeAccount });
        }
        return reply(200, { quoteId: m.quoteId, condition: quotes.get(m.quoteId).condition });
      }
      if (req.method === 'POST' && req.url === '/transfers') {
        seen.transfers++;
        const answer = transfer(parseTransfer(format, req.headers['content-type'], body));
        if (answer.state === 'COMMITTED' && faults.duplicateCallback) void callbackTwice(JSON.parse(body).transferId, answer.fulfilment);
        if (faults.hangAfterCommit > 0) {
          faults.hangAfterCommit--;
          hanging.add(res); // credited, never answered: the router's request times out
          return;
        }
        return reply(200, answer);
      }
      reply(404, { error: 'not found' });
    } catch (e) {
      reply(400, { error: String(e.message) });
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    ledger,
    faults,
    seen,
    credited: (account) => ledger.account(account).balance,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
      ledger.free();
    },
  };
}
