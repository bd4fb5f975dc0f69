// Every ```js example of README.md and docs/*.md runs as written: its `import { ... } from
// '@countersign/sdk'` line binds exactly the names it imports (nothing else of the SDK is in
// scope), the rest runs unchanged in a fresh temporary working directory (so './state' is
// there), and every `console.log(...)` prints what the comment on its line says (the comment is
// the printed text, optionally followed by a space and a remark). The README's system examples
// are then checked further: what they saved loads back. Also: the README has one section per
// system with one example and a link to its docs page; every relative link of README.md,
// HACKING.md and docs/*.md points to a file (and heading) that exists; and the tables that are
// not outcome-code tables are checked against the code: the envelope's open codes (in check
// order), the functions and classes named, the WebAssembly modules. (Each system's outcome-code
// table is checked by that system's test, the error codes by loader.test.mjs.)
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import * as sdk from '@countersign/sdk';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOC_FILES = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const read = (file) => readFileSync(path.join(ROOT, file), 'utf8');

/** The ```js blocks of `text`: code, first line number, and the nearest `## ` heading above. */
function jsBlocks(text) {
  const lines = text.split('\n');
  const blocks = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith('## ')) heading = lines[i].slice(3);
    if (lines[i] !== '```js') continue;
    const end = lines.indexOf('```', i + 1);
    assert.ok(end > i, `the block at line ${i + 1} is closed`);
    blocks.push({ code: lines.slice(i + 1, end).join('\n'), line: i + 2, heading });
    i = end;
  }
  return blocks;
}

/** What each `console.log` line's comment says it prints, in order. */
function expectedLogs(code) {
  return code
    .split('\n')
    .filter((line) => line.includes('console.log('))
    .map((line) => {
      const m = /console\.log\(.*\);\s*\/\/ (.+)$/.exec(line);
      assert.ok(m, `every console.log line says in a comment what it prints: ${line.trim()}`);
      return m[1];
    });
}

/**
 * Runs `code` as written with its SDK imports bound, in a temporary working directory. Returns
 * what it logged and the values of `keep` (variables the example declares) at its end.
 */
async function runExample(code, keep) {
  const imported = [];
  const body = code.replace(/^import (.*)$/gm, (line, rest) => {
    const m = /^\{ ([\w, ]+) \} from '@countersign\/sdk';$/.exec(rest);
    assert.ok(m, `an example imports only from '@countersign/sdk': ${line}`);
    imported.push(...m[1].split(',').map((s) => s.trim()));
    return '';
  });
  for (const name of imported) assert.ok(name in sdk, `${name} is an export of @countersign/sdk`);
  const logs = [];
  const console = { log: (...args) => logs.push(format(...args)) };
  const tail = `\nreturn { ${keep.map((k) => `${k}: typeof ${k} === 'undefined' ? undefined : ${k}`).join(', ')} };`;
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
  const fn = new AsyncFunction(...imported, 'console', body + tail);
  const dir = mkdtempSync(path.join(tmpdir(), 'countersign-example-'));
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const kept = await fn(...imported.map((n) => sdk[n]), console);
    return { logs, kept, dir };
  } finally {
    process.chdir(cwd);
  }
}

/** Further checks of the README's examples, by section: what the example saved loads back. */
const FURTHER = {
  'System 1 — card usage counter set by a companion app': async ({ snapshotKey, now }, state) => {
    const card = await new sdk.CardStore(new sdk.FileStorage(state), snapshotKey).load('card-0001');
    const view = card.view(now);
    assert.deepEqual(view.limits.map((l) => [l.id, l.limit, l.used]), [['daily-count', '7', '1'], ['daily-amount', '100.00', '12.50']]);
    card.free();
  },
  'Ledger — two-phase transfers': async ({ snapshotKey }, state) => {
    const ledger = await new sdk.LedgerStore(new sdk.FileStorage(state), snapshotKey, { name: 'wallets' }).load();
    assert.equal(ledger.account('station').balance, '31.17', 'the commit in the example is durable');
    assert.equal(ledger.account('w1').available, '48.83');
    ledger.free();
  },
  'System 2 — limited-use temporary credit account': async ({ snapshotKey, cvvKey, now }, state) => {
    const issuer = await new sdk.TempCardStore(new sdk.FileStorage(state), snapshotKey).load('issuer', cvvKey);
    const view = issuer.account('tmp-1', now);
    assert.deepEqual(
      { status: view.status, closure: view.closure, spent: view.spent, refunded: view.refunded, uses: view.uses, merchantLock: view.merchantLock },
      { status: 'closed', closure: { reason: 'activation', at: now, released: '150.10' }, spent: '99.90', refunded: '9.90', uses: 1, merchantLock: 'shop-7' },
    );
    // The purchase of 99.90 stands, the refund of 9.90 went to the parent, the rest was released.
    assert.equal(view.parent.balance, '-90.00');
    assert.equal(view.parent.available, '1410.00');
    issuer.free();
  },
  'System 3 — pre-authorised energy purchase': async ({ snapshotKey }, state) => {
    const saved = await new sdk.EnergyStore(new sdk.FileStorage(state), snapshotKey).loadServer('main', sdk.generateKeyPair('EdDSA'), 'emoney-1');
    assert.equal(saved.wallet('alice').balance, '62.82');
    saved.free();
  },
  'System 10 — untidy returns judged by weight': async ({ snapshotKey }, state) => {
    const shelf = await new sdk.ShelfStore(new sdk.FileStorage(state), snapshotKey).load('aisle-4');
    // The jam is recorded in the soup lane; the ambiguous return left Ann's soup and beans records.
    assert.deepEqual(shelf.lanes()[0].entries.map((e) => e.itemType), ['jam']);
    assert.deepEqual(shelf.shopper('ann').lots.map((l) => l.itemType), ['soup', 'beans']);
    assert.equal(shelf.lanes()[2].count, 7);
    shelf.free();
  },
};

for (const file of DOC_FILES) {
  for (const { code, line, heading } of jsBlocks(read(file))) {
    test(`${file}:${line} (${heading || 'top'}) runs as written and prints what it says`, async () => {
      const expected = expectedLogs(code);
      const { logs, kept, dir } = await runExample(code, ['snapshotKey', 'cvvKey', 'now']);
      try {
        assert.deepEqual(
          logs.map((printed, i) => (expected[i] === printed || expected[i]?.startsWith(printed + ' ') ? expected[i] : printed)),
          expected,
        );
        if (file === 'README.md' && FURTHER[heading]) await FURTHER[heading](kept, path.join(dir, 'state'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}

test('the README has one section per system, each with one example and its docs page', () => {
  const readme = read('README.md');
  for (const [heading, page] of [
    ['## System 1 — card usage counter set by a companion app', 'docs/card.md'],
    ['## Ledger — two-phase transfers', 'docs/ledger.md'],
    ['## System 2 — limited-use temporary credit account', 'docs/tempcard.md'],
    ['## System 3 — pre-authorised energy purchase', 'docs/energy.md'],
    ['## System 4 — POS at event spaces with intermittent networks', 'docs/pos.md'],
    ['## System 5 — payment tokens carried through a relay device', 'docs/relay.md'],
    ['## System 6 — offline electronic cash on a smart card', 'docs/ecash.md'],
    ['## System 7 — value transfer between providers', 'docs/transfer.md'],
    ['## System 8 — crypto custody with a proof of liabilities', 'docs/custody-liabilities.md'],
    ['## System 9 — patient terminal after an automatic drug injection', 'docs/dose.md'],
    ['## System 10 — untidy returns judged by weight', 'docs/shelf.md'],
  ]) {
    const start = readme.indexOf(`\n${heading}\n`);
    assert.ok(start >= 0, `README has ${heading}`);
    const section = readme.slice(start + 1, readme.indexOf('\n## ', start + 1));
    assert.equal(section.split('\n```js\n').length - 1, 1, `${heading} has one example`);
    assert.ok(section.includes(`](${page})`), `${heading} links to ${page}`);
    // An example that saves state (through a store) has what it saved loaded back and checked.
    if (/Store\(/.test(section)) assert.ok(FURTHER[heading.slice(3)], `${heading}: its example's saved state is checked`);
  }
  // Ten systems and the ledger, one section each with its example, and the front matter.
  assert.ok(readme.split('\n').length <= 600, 'the README stays a front page');
});

/** GitHub's anchor for a heading. */
const slug = (heading) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\- ]/gu, '').replace(/ /g, '-');

test('every relative link of README.md, HACKING.md and docs/*.md resolves (file and heading)', () => {
  let links = 0;
  for (const file of [...DOC_FILES, 'HACKING.md']) {
    const text = read(file).replace(/```[\s\S]*?```/g, '');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const [rel, anchor] = target.split('#');
      const resolved = rel === '' ? path.join(ROOT, file) : path.join(ROOT, path.dirname(file), rel);
      assert.ok(existsSync(resolved), `${file}: ${target} exists`);
      if (anchor !== undefined) {
        const headings = readFileSync(resolved, 'utf8').replace(/```[\s\S]*?```/g, '').split('\n').filter((l) => /^#{1,6} /.test(l));
        assert.ok(headings.some((h) => slug(h.replace(/^#+ /, '')) === anchor), `${file}: ${target} names a heading`);
      }
      links++;
    }
  }
  assert.ok(links >= 30, `links checked: ${links}`);
});

test('docs/envelope.md lists the open codes in the order openEnvelope checks them', () => {
  const lines = read('docs/envelope.md').split('\n');
  const at = lines.indexOf('| code | meaning |');
  assert.ok(at >= 0, 'docs/envelope.md has the table of open codes');
  const documented = [];
  for (let i = at + 2; lines[i]?.startsWith('| '); i++) documented.push(lines[i].slice(2).split(' | ')[0].slice(1, -1));
  // Each case fails the check it is named after and every check documented after it, so the
  // answer shows which check comes first.
  const signer = sdk.generateKeyPair('EdDSA');
  const forger = sdk.generateKeyPair('EdDSA');
  const sealed = sdk.sealEnvelope({
    type: 'card.command', version: 1, keyId: 'k', seq: 5n, issuedAt: 1000, expiresAt: 2000,
    payload: new Uint8Array([1]), algorithm: 'EdDSA', secretKey: signer.secretKey,
  });
  const key = (publicKey) => [{ keyId: 'k', algorithm: 'EdDSA', publicKey }];
  const later = { expectedType: 'other', now: 3000, lastSeq: 5n }; // wrong type, expired, replayed
  const cases = [
    ['MALFORMED', new Uint8Array([0xd2]), { trustedKeys: [], ...later }],
    ['UNKNOWN_KEY', sealed, { trustedKeys: [], ...later }],
    ['BAD_SIGNATURE', sealed, { trustedKeys: key(forger.publicKey), ...later }],
    ['WRONG_TYPE', sealed, { trustedKeys: key(signer.publicKey), ...later }],
    ['NOT_YET_VALID', sealed, { trustedKeys: key(signer.publicKey), expectedType: 'card.command', now: 999, lastSeq: 5n }],
    ['EXPIRED', sealed, { trustedKeys: key(signer.publicKey), expectedType: 'card.command', now: 2000, lastSeq: 5n }],
    ['REPLAYED', sealed, { trustedKeys: key(signer.publicKey), expectedType: 'card.command', now: 1500, lastSeq: 5n }],
  ];
  assert.deepEqual(documented, cases.map(([code]) => code));
  for (const [code, bytes, options] of cases) assert.equal(sdk.openEnvelope(bytes, options).code, code, code);
  assert.equal(sdk.openEnvelope(sealed, { trustedKeys: key(signer.publicKey), expectedType: 'card.command', now: 1500, lastSeq: 4n }).code, 'VALID');
});

test('the tables of functions and classes name what the package exports', () => {
  // README "Primitives": every function or class named in the functions column (not a type).
  const readme = read('README.md').split('\n');
  const at = readme.indexOf('| area | functions | reference |');
  assert.ok(at >= 0, 'README has the primitives table');
  let named = 0;
  for (let i = at + 2; readme[i]?.startsWith('| '); i++) {
    const functions = readme[i].split(' | ')[1];
    for (const [, before, span] of functions.matchAll(/(type )?`([^`]+)`/g)) {
      const name = /^[A-Za-z_$][\w$]*/.exec(span)?.[0];
      if (before || !name) continue;
      assert.ok(name in sdk, `README primitives table: ${name} is exported`);
      const member = /^[A-Z]\w*\.(\w+)/.exec(span)?.[1];
      if (member) assert.ok(member in sdk[name], `${name}.${member} exists`);
      named++;
    }
  }
  assert.ok(named >= 30, `names checked: ${named}`);
  // The class tables of each system's page: each class exists and has every method listed.
  let methods = 0;
  for (const page of ['docs/card.md', 'docs/ledger.md', 'docs/tempcard.md', 'docs/energy.md']) {
    const lines = read(page).split('\n');
    const at = lines.findIndex((l) => l === '| role | class | what it does |' || l === '| class | what it does |');
    assert.ok(at >= 0, `${page} has a class table`);
    for (let i = at + 2; lines[i]?.startsWith('| '); i++) {
      const cells = lines[i].slice(2, -2).split(' | ');
      const [klass, does] = cells.slice(-2);
      const name = /^`([A-Za-z]\w*)`$/.exec(klass)?.[1];
      if (!name) continue; // a function row (`ledgerCodes()`, `dispenseLimit(...)`)
      const target = sdk[name];
      assert.ok(target, `${page}: ${name} is exported`);
      for (const [, span] of does.matchAll(/`([^`]+)`/g)) {
        const m = /^(?:([A-Z]\w*)\.)?([a-z]\w*)(?:\(|$)/.exec(span);
        if (!m || (m[1] && m[1] !== name)) continue;
        assert.ok(m[2] in target || (target.prototype && m[2] in target.prototype), `${page}: ${name} has ${m[2]}`);
        methods++;
      }
    }
  }
  assert.ok(methods >= 80, `methods checked: ${methods}`);
});

test('the README module table lists every WebAssembly module the SDK can load, with its budget from systems.json', () => {
  const readme = read('README.md').split('\n');
  const at = readme.findIndex((line) => line.startsWith('| module (`init({ system })`) | what it carries | bytes raw | bytes gzip | budget'));
  assert.ok(at >= 0, 'README has the module table');
  const manifest = JSON.parse(read('systems.json'));
  const budgets = new Map(manifest.modules.map((m) => [m.name, m.gzipBudgetBytes]));
  const listed = [];
  for (let i = at + 2; readme[i]?.startsWith('| '); i++) {
    const name = /^\| `'([\w-]+)'`/.exec(readme[i])?.[1];
    listed.push(name);
    const cells = readme[i].slice(2, -2).split(' | ');
    const [gzip, budget] = cells.slice(-2).map((c) => Number(c.replaceAll(',', '')));
    assert.equal(budget, budgets.get(name), `${name}: the budget column is systems.json's`);
    assert.ok(gzip <= budget, `${name}: ${gzip} bytes gzip is within its budget`);
  }
  assert.deepEqual([...listed].sort(), [...sdk.WASM_MODULES].sort());
});
