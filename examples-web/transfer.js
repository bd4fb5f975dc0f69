// System 7 demo: who is provider B, why, and the message B understands.
//
// Everything decided here is decided by the countersign WebAssembly core through the SDK: the
// identifier's classification and checks, the rule that matched and the trace
// (TransferResolver), the directory lookup for an alias (the SDK's async lookup with its timeout
// and cache, against a simulated directory that answers after 300 ms), and each format's
// message with its loss report (transferGenerate). The identifier, the rules table and the
// instruction typed are kept in localStorage, so a reload shows the same answer.

import { byTestId, showError, showInitError, hideError, setText } from './demo-kit.js';

const SDK_URL = '/sdk/dist/index.js';
const STORE_KEY = 'countersign-transfer-demo-v1';
let sdk;
let resolver;
let rulesText;

const RULES = {
  providers: [
    { id: 'bank-a', endpoint: 'http://127.0.0.1:9000/bank-a', format: 'pain.001.001.09' },
    { id: 'bank-b', endpoint: 'http://127.0.0.1:9000/bank-b', format: 'pacs.008.001.08' },
    { id: 'mm', endpoint: 'http://127.0.0.1:9000/mm', format: 'fspiop-quote' },
    { id: 'wallet', endpoint: 'https://wallet.example/open-payments', format: 'plain-json' },
  ],
  rules: [
    { id: 'de', kind: 'iban', provider: 'bank-a', country: 'DE' },
    { id: 'de-coba', kind: 'iban', provider: 'bank-b', country: 'DE', bankCode: '37040044', bic: 'COBADEFFXXX' },
    { id: 'fr-1', kind: 'iban', provider: 'bank-a', country: 'FR' },
    { id: 'fr-2', kind: 'iban', provider: 'bank-b', country: 'FR' },
    { id: 'visa', kind: 'card', provider: 'bank-a', binFrom: '400000', binTo: '499999', network: 'visa' },
    { id: 'visa45', kind: 'card', provider: 'bank-b', binFrom: '45', binTo: '45', network: 'visa', issuer: 'Bank B' },
    { id: 'chase', kind: 'aba', provider: 'bank-a', routing: '021000021' },
    { id: 'ilp-us', kind: 'ilp', provider: 'bank-a', prefix: 'g.us' },
    { id: 'ilp-mm', kind: 'ilp', provider: 'mm', prefix: 'g.us.mm' },
    { id: 'ptr', kind: 'pointer', provider: 'wallet', prefix: 'https://wallet.example/' },
  ],
};
const DIRECTORY = { '+442079460958': 'mm', 'alice@example.com': 'wallet' };

const INSTRUCTION = {
  messageId: 'MSG-0001',
  endToEndId: 'E2E-0001',
  createdAt: '2026-12-06T10:00:00Z',
  executionDate: '2026-12-07',
  amount: '250.00',
  currency: 'EUR',
  initiator: 'Zoë Ørsted (treasury)',
  debtor: { name: 'Ørsted & Søn ApS', account: 'DK5000400440116243', bic: 'NDEADKKK' },
  creditor: { name: 'François Müller' },
  remittance: 'Invoice 2026-118 — thank you',
};

let step = 0;
function bump() {
  step += 1;
  document.body.dataset.step = String(step);
}

function save() {
  localStorage.setItem(STORE_KEY, JSON.stringify({
    identifier: byTestId('identifier').value,
    rules: byTestId('rules').value,
    instruction: byTestId('instruction').value,
  }));
}

function loadSaved() {
  try {
    return JSON.parse(localStorage.getItem(STORE_KEY) ?? 'null');
  } catch {
    return null;
  }
}

/** A resolver over the table in the text area (made again only when the text changed). */
function currentResolver() {
  const text = byTestId('rules').value;
  if (resolver === undefined || text !== rulesText) {
    const rules = JSON.parse(text);
    const next = sdk.TransferResolver.create(rules, {
      directory: (lookup) => new Promise((resolve) => setTimeout(() => resolve(DIRECTORY[lookup.alias] ?? null), 300)),
      timeoutMs: 2000,
    });
    resolver?.free();
    resolver = next;
    rulesText = text;
  }
  return resolver;
}

let lastResolution = null;

async function resolveNow() {
  const r = await currentResolver().resolveWithDirectory(byTestId('identifier').value);
  lastResolution = r;
  const code = byTestId('resolve-code');
  code.textContent = r.code;
  code.className = `badge ${r.code === 'resolved' ? 'ok' : r.code === 'needs-lookup' ? '' : 'bad'}`;
  setText('resolve-provider', r.code === 'resolved'
    ? `${r.provider} at ${r.endpoint}, reads ${r.format}${r.bic ? `, BIC ${r.bic}` : ''}${r.network ? `, ${r.network}` : ''}${r.issuer ? ` (${r.issuer})` : ''}`
    : r.code === 'ambiguous' ? `candidates: ${r.candidates.join(', ')}` : r.code === 'invalid' ? `failed check: ${r.invalid}` : '');
  const list = byTestId('trace');
  list.replaceChildren(...r.trace.map((line, i) => {
    const li = document.createElement('li');
    li.textContent = line;
    li.dataset.testid = 'trace-step';
    if (i === r.trace.length - 1) li.className = 'last';
    return li;
  }));
}

function generateNow() {
  const base = JSON.parse(byTestId('instruction').value);
  const r = lastResolution;
  const creditor = { ...base.creditor, account: base.creditor.account ?? r?.identifier ?? byTestId('identifier').value };
  if (r?.code === 'resolved') {
    creditor.provider = r.provider;
    if (r.bic) creditor.bic = r.bic;
  }
  const instruction = { ...base, creditor };
  const out = sdk.TRANSFER_FORMATS.map((format) => {
    const m = sdk.transferGenerate(format, instruction);
    const card = document.createElement('div');
    card.dataset.testid = `format-${format}`;
    const h = document.createElement('h3');
    h.textContent = `${format}${r?.format === format ? ' — provider B reads this' : ''}`;
    const pre = document.createElement('pre');
    pre.textContent = m.text;
    pre.dataset.testid = 'message-text';
    const table = document.createElement('table');
    table.className = 'losses';
    table.innerHTML = '<thead><tr><th>field</th><th>what happened</th><th>original</th><th>delivered</th></tr></thead>';
    const body = document.createElement('tbody');
    for (const l of m.losses) {
      const tr = document.createElement('tr');
      tr.dataset.testid = 'loss';
      for (const cell of [l.field, l.kinds.join(', '), l.original, l.delivered ?? '(dropped)']) {
        const td = document.createElement('td');
        td.textContent = cell;
        tr.append(td);
      }
      tr.title = l.reason;
      body.append(tr);
    }
    table.append(body);
    const summary = document.createElement('p');
    summary.dataset.testid = 'loss-count';
    summary.textContent = m.losses.length === 0 ? 'lossless' : `${m.losses.length} field(s) did not survive unchanged`;
    card.append(h, summary, table, pre);
    return card;
  });
  byTestId('formats').replaceChildren(...out);
}

function action(fn) {
  return async () => {
    document.body.dataset.busy = 'true';
    try {
      hideError();
      await fn();
      save();
    } catch (err) {
      showError(err);
    } finally {
      bump();
      document.body.dataset.busy = 'false';
    }
  };
}

async function main() {
  try {
    sdk = await import(SDK_URL);
    // The part of System 7 this page uses, not the whole: its own module, without the lifecycle
    // (TransferBook) and its ledger (docs/transfer.md#size).
    await sdk.init({ systems: ['transfer.resolve'] });
  } catch (err) {
    showInitError(err);
    return;
  }
  const saved = loadSaved();
  byTestId('identifier').value = saved?.identifier ?? byTestId('identifier').value;
  byTestId('rules').value = saved?.rules ?? JSON.stringify(RULES, null, 2);
  byTestId('instruction').value = saved?.instruction ?? JSON.stringify(INSTRUCTION, null, 2);
  const both = action(async () => {
    await resolveNow();
    generateNow();
  });
  byTestId('resolve').addEventListener('click', both);
  byTestId('generate').addEventListener('click', action(generateNow));
  byTestId('identifier').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') both();
  });
  for (const b of document.querySelectorAll('[data-example]')) {
    b.addEventListener('click', () => {
      byTestId('identifier').value = b.dataset.example;
      both();
    });
  }
  const status = byTestId('sdk-status');
  status.dataset.state = 'ready';
  status.textContent = 'ready';
  await both();
}

main();
