// The generated pain.001.001.09 validates against the official ISO 20022 schema: the XSD from the
// PyPI package sepaxml (installed into .cache/pyenv by scripts/bootstrap.sh, pinned in
// tests/vectors/transfer/requirements.txt), checked by Debian's xmllint (libxml2-utils, also
// installed by the bootstrap). Every instruction of the format vectors is generated and
// validated; a deliberately broken message (elements out of the schema's order, an IBAN the
// schema's pattern refuses) must fail, so the check is known to bite.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { transferGenerate } from '@countersign/sdk';
import { readJson, repoRoot } from './helpers.mjs';

function schemaPath() {
  const lib = fileURLToPath(new URL('.cache/pyenv/lib/', repoRoot));
  const versions = existsSync(lib) ? readdirSync(lib).filter((d) => d.startsWith('python3')) : [];
  for (const v of versions) {
    const p = join(lib, v, 'site-packages/sepaxml/schemas/pain.001.001.09.xsd');
    if (existsSync(p)) return p;
  }
  throw new Error('pain.001.001.09.xsd not found under .cache/pyenv: run bash scripts/bootstrap.sh (it installs sepaxml)');
}

function xmllint(schema, file) {
  const r = spawnSync('xmllint', ['--noout', '--schema', schema, file], { encoding: 'utf8' });
  if (r.error) throw new Error(`xmllint could not run (${r.error.message}): run bash scripts/bootstrap.sh (it installs libxml2-utils)`);
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

test('generated pain.001.001.09 messages validate against the official XSD; a broken one does not', () => {
  const schema = schemaPath();
  execFileSync('xmllint', ['--version'], { stdio: 'ignore' });
  const dir = mkdtempSync(join(tmpdir(), 'countersign-xsd-'));
  try {
    const doc = readJson('transfer/formats.json');
    let n = 0;
    for (const c of doc.cases) {
      const m = transferGenerate('pain.001.001.09', c.instruction);
      const file = join(dir, `m${n++}.xml`);
      writeFileSync(file, m.text);
      const r = xmllint(schema, file);
      assert.ok(r.ok, `${c.name}: ${r.output}`);
    }
    assert.ok(n >= 8);
    const good = transferGenerate('pain.001.001.09', doc.cases[0].instruction).text;
    const broken = [
      // NbOfTxs after CtrlSum: the schema's sequence is violated.
      good.replace(/<NbOfTxs>1<\/NbOfTxs>(\s*)<CtrlSum>([^<]*)<\/CtrlSum>/, '<CtrlSum>$2</CtrlSum>$1<NbOfTxs>1</NbOfTxs>'),
      // An IBAN in lower case: the schema's IBAN2007Identifier pattern refuses it.
      good.replace('<IBAN>DE89370400440532013000</IBAN>', '<IBAN>de89370400440532013000</IBAN>'),
    ];
    for (const [i, text] of broken.entries()) {
      assert.notEqual(text, good, `broken message ${i} must differ from the good one`);
      const file = join(dir, `broken${i}.xml`);
      writeFileSync(file, text);
      const r = xmllint(schema, file);
      assert.equal(r.ok, false, `broken message ${i} passed the schema`);
      assert.match(r.output, /fails to validate/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
