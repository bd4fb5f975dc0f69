// Two simulated receiving providers ("provider B") for the transfer router's tests, each an HTTP
// server on 127.0.0.1 with its own SDK Ledger and its own Ed25519 key, reading the core's
// formats with transferParse:
// - `iso`: ISO 20022 XML (`application/xml`; pain.001.001.09 or pacs.008.001.08);
// - `fspiop`: Mojaloop FSPIOP JSON (`fspiop-quote`).
// What a request is (docs/transfer.md "The router's messages"): the body is the message; the
// `countersign-envelope` header is the router's envelope (base64) — type
// `transfer.quote-request` or `transfer.request`, payload JSON {transferId, quoteId, format,
// bodySha256, condition?, expiresAt?}. B opens it against the router's key (type, sequence number
// above the last accepted), checks the body's SHA-256 and the format, parses the body, and acts
// on the parsed instruction (amount, currency, creditor.account, endToEndId = transferId). Its
// answers are envelopes (`application/countersign-envelope`) of type `transfer.quote-answer`
// {quoteId, condition, requestSha256} or `transfer.answer` {transferId, state, fulfilment?,
// reason?, requestSha256}, and so are its callbacks.
// Rules (what a real provider B does): a quote draws a fulfilment and answers its condition, for
// one message (one quote per transfer: the transfer must be the same bytes); a transfer is
// credited only before its `expiresAt`, only with the quote's condition, once per transferId (the
// ledger's idempotency key: a retry answers the same, nothing twice), and the fulfilment is
// released only after the credit.
// Faults: `fail5xx: n` answers the next n calls 503; `hangAfterCommit: n` credits the next n
// transfers and then never answers (the router's request times out); `duplicateCallback` PUTs the
// fulfilment to the router's callback URL twice after crediting; `decline` aborts every transfer;
// `spoil: [...]` answers the next transfer calls with an ABORTED answer spoiled one way each —
// `forged` (another key under B's key id), `unknownKey`, `altered` (a signature byte flipped),
// `wrongType` (a quote answer's type), `replayed` (B's previous transfer answer again), `unbound`
// (authentic, fresh, but answering another message) — which the router must refuse, not act on.
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Ledger, generateKeyPair, openEnvelope, sealEnvelope, sha256, transferParse } from '@countersign/sdk';

const hex = (b) => Buffer.from(b).toString('hex');
const utf8 = new TextEncoder();
export const PAYEES = ['bob', 'carol'];
const FORMATS = { iso: ['pain.001.001.09', 'pacs.008.001.08'], fspiop: ['fspiop-quote'] };

export async function startProvider({ kind = 'iso', currency = 'EUR', routerKeys, clock = () => Math.floor(Date.now() / 1000), callbackUrl = () => undefined } = {}) {
  const ledger = Ledger.create();
  const keyPair = generateKeyPair('EdDSA');
  const keyId = `provider-${kind}`;
  let keys = 0;
  const key = () => `k${++keys}`;
  ledger.openAccount({ idempotencyKey: key(), now: clock(), accountId: 'settlement:A', currency, kind: 'unrestricted' });
  for (const id of PAYEES) ledger.openAccount({ idempotencyKey: key(), now: clock(), accountId: id, currency, kind: 'nonNegative' });
  const quotes = new Map(); // quoteId -> { fulfilment, condition, bodySha256 }
  const answers = new Map(); // transferId -> answer
  const faults = { fail5xx: 0, hangAfterCommit: 0, duplicateCallback: false, decline: false, spoil: [] };
  // received: every request B accepted (its body and the parsed instruction); refused: the codes of those it did not.
  const seen = { quotes: 0, transfers: 0, callbacks: [], received: [], refused: [] };
  const hanging = new Set();
  const lastRouterSeq = new Map(); // the router's key id -> the last sequence number accepted
  let seq = 0n;
  let lastAnswerEnvelope;

  function seal(type, payload, secretKey = keyPair.secretKey, id = keyId) {
    const floor = BigInt(Date.now()) * 1000n;
    seq = seq >= floor ? seq + 1n : floor;
    const now = clock();
    return sealEnvelope({ type, version: 1, keyId: id, seq, issuedAt: now, expiresAt: now + 60, payload: utf8.encode(JSON.stringify(payload)), algorithm: 'EdDSA', secretKey });
  }

  /** The router's request: its envelope opened, the body bound to it and parsed; or throws with the refusal's code. */
  function readRequest(req, body, expectedType) {
    const header = req.headers['countersign-envelope'];
    if (typeof header !== 'string') throw Object.assign(new Error('no envelope'), { code: 'UNSIGNED' });
    const keyIds = routerKeys().map((k) => k.keyId);
    const opened = openEnvelope(new Uint8Array(Buffer.from(header, 'base64')), {
      trustedKeys: routerKeys(), now: clock(), expectedType, maxClockSkewSeconds: 5,
      ...(lastRouterSeq.has(keyIds[0]) ? { lastSeq: lastRouterSeq.get(keyIds[0]) } : {}),
    });
    if (!opened.ok) throw Object.assign(new Error(`envelope ${opened.code}`), { code: opened.code });
    const terms = JSON.parse(new TextDecoder().decode(opened.payload));
    const bodySha256 = hex(sha256(utf8.encode(body)));
    if (terms.bodySha256 !== bodySha256) throw Object.assign(new Error('body differs from the envelope'), { code: 'BODY_MISMATCH' });
    if (!FORMATS[kind].includes(terms.format)) throw Object.assign(new Error(`format ${terms.format} not read here`), { code: 'FORMAT_UNSUPPORTED' });
    const instruction = transferParse(terms.format, body);
    lastRouterSeq.set(opened.keyId, opened.seq);
    seen.received.push({ path: req.url, contentType: req.headers['content-type'], format: terms.format, body, instruction });
    return { terms, instruction, bodySha256 };
  }

  async function callbackTwice(transferId, envelopes) {
    const url = callbackUrl();
    if (url === undefined) return;
    for (const envelope of envelopes) {
      try {
        const res = await fetch(`${url}/callbacks/${encodeURIComponent(transferId)}`, {
          method: 'PUT', headers: { 'content-type': 'application/countersign-envelope' }, body: envelope,
        });
        seen.callbacks.push({ transferId, status: res.status, answer: await res.json() });
      } catch (e) {
        seen.callbacks.push({ transferId, error: String(e) });
      }
    }
  }

  function transfer({ terms, instruction, bodySha256 }) {
    const known = answers.get(terms.transferId);
    if (known) return known;
    const q = quotes.get(terms.quoteId);
    let answer;
    if (faults.decline) answer = { state: 'ABORTED', reason: 'payee declined' };
    else if (!q || q.condition !== terms.condition || q.bodySha256 !== bodySha256 || instruction.endToEndId !== terms.transferId) answer = { state: 'ABORTED', reason: 'terms differ from the quote' };
    else if (clock() >= terms.expiresAt) answer = { state: 'ABORTED', reason: 'expired' };
    else {
      const out = ledger.transfer({ idempotencyKey: terms.transferId, now: clock(), debitAccountId: 'settlement:A', creditAccountId: instruction.creditor.account, amount: instruction.amount, currency: instruction.currency });
      answer = out.code === 'TRANSFERRED' ? { state: 'COMMITTED', fulfilment: q.fulfilment } : { state: 'ABORTED', reason: out.code };
    }
    answer = { transferId: terms.transferId, ...answer, requestSha256: bodySha256 };
    answers.set(terms.transferId, answer);
    return answer;
  }

  function spoiled(how, answer) {
    const aborted = { ...answer, state: 'ABORTED', reason: `spoiled: ${how}`, fulfilment: undefined };
    if (how === 'forged') return seal('transfer.answer', aborted, generateKeyPair('EdDSA').secretKey);
    if (how === 'unknownKey') return seal('transfer.answer', aborted, generateKeyPair('EdDSA').secretKey, 'someone-else');
    if (how === 'altered') {
      const bytes = seal('transfer.answer', aborted);
      bytes[bytes.length - 1] ^= 0x01;
      return bytes;
    }
    if (how === 'wrongType') return seal('transfer.quote-answer', aborted);
    if (how === 'replayed') return lastAnswerEnvelope;
    if (how === 'unbound') return seal('transfer.answer', { ...aborted, requestSha256: hex(sha256(utf8.encode('another message'))) });
    throw new Error(`no spoil ${how}`);
  }

  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const reply = (status, value) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    const replyEnvelope = (bytes) => {
      res.writeHead(200, { 'content-type': 'application/countersign-envelope' });
      res.end(bytes);
    };
    try {
      if (faults.fail5xx > 0) {
        faults.fail5xx--;
        return reply(503, { error: 'try again' });
      }
      if (req.method === 'POST' && req.url === '/quotes') {
        seen.quotes++;
        const { terms, bodySha256 } = readRequest(req, body, 'transfer.quote-request');
        const known = quotes.get(terms.quoteId);
        if (known && known.bodySha256 !== bodySha256) return reply(409, { error: 'this quote id was asked for another message' });
        if (!known) {
          const fulfilment = randomBytes(32);
          quotes.set(terms.quoteId, { fulfilment: hex(fulfilment), condition: hex(sha256(fulfilment)), bodySha256 });
        }
        return replyEnvelope(seal('transfer.quote-answer', { quoteId: terms.quoteId, condition: quotes.get(terms.quoteId).condition, requestSha256: bodySha256 }));
      }
      if (req.method === 'POST' && req.url === '/transfers') {
        seen.transfers++;
        const request = readRequest(req, body, 'transfer.request');
        const answer = transfer(request);
        if (faults.spoil.length > 0) return replyEnvelope(spoiled(faults.spoil.shift(), answer));
        const envelope = seal('transfer.answer', answer);
        lastAnswerEnvelope = envelope;
        if (answer.state === 'COMMITTED' && faults.duplicateCallback) void callbackTwice(answer.transferId, [seal('transfer.answer', answer), seal('transfer.answer', answer)]);
        if (faults.hangAfterCommit > 0) {
          faults.hangAfterCommit--;
          hanging.add(res); // credited, never answered: the router's request times out
          return;
        }
        return replyEnvelope(envelope);
      }
      reply(404, { error: 'not found' });
    } catch (e) {
      if (e.code !== undefined) seen.refused.push(e.code);
      reply(400, { error: String(e.message), code: e.code });
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    kind,
    keys: [{ keyId, algorithm: 'EdDSA', publicKey: keyPair.publicKey }],
    ledger,
    answers,
    faults,
    seen,
    seal,
    credited: (account) => ledger.account(account).balance,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
      ledger.free();
    },
  };
}
