// Transfer benchmark (System 7): resolutions per second over a rules table of 1,000 rules, and
// pain.001.001.09 messages generated per second, beside a plain TypeScript template written by
// hand in the same run — and whether each side's message is valid against the official XSD
// (xmllint --schema with sepaxml's pain.001.001.09.xsd, when the bootstrap installed them).
//
// The template is what a hand-rolled integration does: the instruction's fields pasted into the
// XML text, no escaping, no SEPA character set, no lengths. The instruction has a creditor
// "François Müller & Søn": the template's '&' makes the document not even well-formed XML.
// Resolutions rotate over an IBAN with a bank rule, an IBAN of a country rule, a card in a BIN
// range, an ILP address under a prefix of 200, and an unknown IBAN (every rule of its kind is
// tried).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as sdk from '@countersign/sdk';
import { measureOpsPerSecond } from './measure.mjs';

const COUNTRIES = ['DE', 'FR', 'ES', 'IT', 'NL', 'BE', 'AT', 'PL', 'SE', 'DK'];

function table() {
  const providers = Array.from({ length: 50 }, (_, i) => ({ id: `p${i}`, endpoint: `http://127.0.0.1:9000/p${i}`, format: 'pain.001.001.09' }));
  const rules = [];
  for (const [c, country] of COUNTRIES.entries()) {
    rules.push({ id: `c-${country}`, kind: 'iban', provider: `p${c}`, country });
    for (let b = 0; b < 50; b++) rules.push({ id: `b-${country}-${b}`, kind: 'iban', provider: `p${(c + b) % 50}`, country, bankCode: String(10000000 + b * 7919).slice(0, country === 'DE' ? 8 : 5) });
  }
  rules.push({ id: 'de-coba', kind: 'iban', provider: 'p7', country: 'DE', bankCode: '37040044', bic: 'COBADEFFXXX' });
  for (let i = 0; i < 189; i++) rules.push({ id: `bin${i}`, kind: 'card', provider: `p${i % 50}`, binFrom: String(400000 + i * 500), binTo: String(400000 + i * 500 + 499), network: 'visa' });
  for (let i = 0; i < 200; i++) rules.push({ id: `ilp${i}`, kind: 'ilp', provider: `p${i % 50}`, prefix: `g.net${i}` });
  return { providers, rules: rules.slice(0, 1000) };
}

const IDENTIFIERS = ['DE89370400440532013000', 'FR1420041010050500013M02606', '4000 0000 0000 0002', 'g.net150.alice', 'GB29NWBK60161331926819'];

const INSTRUCTION = {
  messageId: 'MSG-0001', endToEndId: 'E2E-0001', createdAt: '2026-12-06T10:00:00Z', executionDate: '2026-12-07',
  amount: '250.00', currency: 'EUR', initiator: 'Zoë Ørsted',
  debtor: { name: 'Ørsted ApS', account: 'DK5000400440116243', bic: 'NDEADKKK' },
  creditor: { name: 'François Müller & Søn', account: 'FR1420041010050500013M02606' },
  remittance: 'Invoice 2026-118',
};

/** The hand-written template: fields pasted in. */
function template(i) {
  return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"><CstmrCdtTrfInitn><GrpHdr><MsgId>${i.messageId}</MsgId><CreDtTm>${i.createdAt}</CreDtTm><NbOfTxs>1</NbOfTxs><CtrlSum>${i.amount}</CtrlSum><InitgPty><Nm>${i.initiator}</Nm></InitgPty></GrpHdr><PmtInf><PmtInfId>${i.messageId}</PmtInfId><PmtMtd>TRF</PmtMtd><NbOfTxs>1</NbOfTxs><CtrlSum>${i.amount}</CtrlSum><ReqdExctnDt><Dt>${i.executionDate}</Dt></ReqdExctnDt><Dbtr><Nm>${i.debtor.name}</Nm></Dbtr><DbtrAcct><Id><IBAN>${i.debtor.account}</IBAN></Id></DbtrAcct><DbtrAgt><FinInstnId><BICFI>${i.debtor.bic}</BICFI></FinInstnId></DbtrAgt><CdtTrfTxInf><PmtId><EndToEndId>${i.endToEndId}</EndToEndId></PmtId><Amt><InstdAmt Ccy="${i.currency}">${i.amount}</InstdAmt></Amt><Cdtr><Nm>${i.creditor.name}</Nm></Cdtr><CdtrAcct><Id><IBAN>${i.creditor.account}</IBAN></Id></CdtrAcct><RmtInf><Ustrd>${i.remittance}</Ustrd></RmtInf></CdtTrfTxInf></PmtInf></CstmrCdtTrfInitn></Document>
`;
}

/** 'valid', 'invalid' or 'not checked' (no xmllint or XSD here: run scripts/bootstrap.sh). */
function validity(xml) {
  const lib = fileURLToPath(new URL('../.cache/pyenv/lib/', import.meta.url));
  const versions = existsSync(lib) ? readdirSync(lib).filter((d) => d.startsWith('python3')) : [];
  const xsd = versions.map((v) => join(lib, v, 'site-packages/sepaxml/schemas/pain.001.001.09.xsd')).find((p) => existsSync(p));
  if (xsd === undefined) return 'not checked';
  const dir = mkdtempSync(join(tmpdir(), 'countersign-bench-'));
  try {
    const file = join(dir, 'm.xml');
    writeFileSync(file, xml);
    const r = spawnSync('xmllint', ['--noout', '--schema', xsd, file], { encoding: 'utf8' });
    return r.error ? 'not checked' : r.status === 0 ? 'valid' : 'invalid';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function checkTransfer() {
  const r = sdk.TransferResolver.create(table());
  try {
    assert.deepEqual(IDENTIFIERS.map((id) => r.resolve(id).code), ['resolved', 'resolved', 'resolved', 'resolved', 'unknown']);
    assert.equal(r.resolve(IDENTIFIERS[0]).rule, 'de-coba');
  } finally {
    r.free();
  }
  assert.match(sdk.transferGenerate('pain.001.001.09', INSTRUCTION).text, /<Nm>Francois Muller \+ Son<\/Nm>/);
  assert.match(template(INSTRUCTION), /<Nm>François Müller & Søn<\/Nm>/);
}

export function measureTransfer() {
  process.stderr.write('measuring transfer: resolutions …\n');
  const r = sdk.TransferResolver.create(table());
  let k = 0;
  const resolutions = measureOpsPerSecond(() => r.resolve(IDENTIFIERS[k++ % IDENTIFIERS.length]).code);
  r.free();
  process.stderr.write('measuring transfer: pain.001 generation …\n');
  const ours = measureOpsPerSecond(() => sdk.transferGenerate('pain.001.001.09', INSTRUCTION).text);
  const theirs = measureOpsPerSecond(() => template(INSTRUCTION));
  return {
    resolutions,
    ours,
    theirs,
    oursValid: validity(sdk.transferGenerate('pain.001.001.09', INSTRUCTION).text),
    theirsValid: validity(template(INSTRUCTION)),
  };
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');

export function transferTable(m) {
  return [
    'transfer (System 7) through the SDK: resolutions over a table of 1,000 rules (IBAN bank and country rules, BIN ranges, ILP prefixes); pain.001.001.09 generated beside a hand-written TypeScript template (fields pasted in):',
    '',
    '| op | countersign /s | TypeScript template /s | ratio | countersign valid (XSD) | template valid (XSD) |',
    '|---|---:|---:|---:|---|---|',
    `| resolve an identifier (1,000 rules) | ${fmt(m.resolutions)} | — | — | — | — |`,
    `| generate pain.001.001.09 | ${fmt(m.ours)} | ${fmt(m.theirs)} | ${(m.ours / m.theirs).toFixed(3)} | ${m.oursValid} | ${m.theirsValid} |`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  checkTransfer();
  console.log(transferTable(measureTransfer()).join('\n'));
}
