// COSE interoperability through the SDK, both directions, with an independent implementation:
// envelopes sealed by @countersign/sdk are verified by pycose (EdDSA) and by Python
// `cryptography` over a Sig_structure rebuilt with cbor2 (ES256K), and re-sealed independently
// byte for byte; envelopes made by pycose / cryptography are opened by the SDK.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generateKeyPair, openEnvelope, sealEnvelope } from '@countersign/sdk';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const python = join(repoRoot, '.cache/pyenv/bin/python');
const checker = join(repoRoot, 'tests/interop/cose_check.py');
const workDir = mkdtempSync(join(tmpdir(), 'countersign-interop-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const unhex = (text) => new Uint8Array(Buffer.from(text, 'hex'));

function runChecker(...args) {
  assert.ok(existsSync(python), `the interop venv is missing (${python}): run scripts/bootstrap.sh`);
  return execFileSync(python, [checker, ...args], { encoding: 'utf8' });
}

test('envelopes sealed by the SDK verify with pycose / cryptography and re-seal identically', () => {
  const cases = [];
  const payloads = [new Uint8Array(0), new TextEncoder().encode('{"limit":"25.00","currency":"EUR"}'), new Uint8Array(300).map((_, i) => i)];
  for (const algorithm of ['EdDSA', 'ES256K']) {
    payloads.forEach((payload, index) => {
      const keys = generateKeyPair(algorithm);
      const fields = {
        type: index === 0 ? 'relay.token' : 'card.limits.set',
        version: index + 1,
        keyId: `sdk-${algorithm}-${index}`,
        seq: 2n ** BigInt(8 * index + 7),
        issuedAt: 1_767_225_600 + index,
        expiresAt: 1_767_225_900 + index * 1000,
      };
      const envelope = sealEnvelope({ ...fields, payload, algorithm, secretKey: keys.secretKey });
      cases.push({
        name: `sdk-${algorithm}-${index}`,
        alg: algorithm,
        secretKey: hex(keys.secretKey),
        publicKey: hex(keys.publicKey),
        keyId: fields.keyId,
        type: fields.type,
        version: fields.version,
        seq: fields.seq.toString(),
        issuedAt: String(fields.issuedAt),
        expiresAt: String(fields.expiresAt),
        payload: hex(payload),
        envelope: hex(envelope),
      });
    });
  }
  const file = join(workDir, 'sdk-sealed.json');
  writeFileSync(file, JSON.stringify({ description: 'sealed by @countersign/sdk in this test run', cases }));
  const out = runChecker('verify', file);
  assert.match(out, new RegExp(`${cases.length} passed, 0 failed`), out);

  // The checker must fail on a forgery: flip one signature byte of one envelope.
  const forged = structuredClone(cases);
  const last = forged[0].envelope;
  forged[0].envelope = last.slice(0, -2) + ((parseInt(last.slice(-2), 16) ^ 1).toString(16).padStart(2, '0'));
  writeFileSync(file, JSON.stringify({ description: 'one forged envelope', cases: forged }));
  assert.throws(() => runChecker('verify', file), /failed/);
});

test('envelopes made by pycose / cryptography open through the SDK with the expected outcome', () => {
  const file = join(workDir, 'python-made.json');
  runChecker('make', file);
  const { cases } = JSON.parse(readFileSync(file, 'utf8'));
  assert.ok(cases.length >= 4, `${cases.length} python-made envelopes`);
  let valid = 0;
  for (const c of cases) {
    const result = openEnvelope(unhex(c.envelope), {
      trustedKeys: c.trustedKeys.map((k) => ({ keyId: k.keyId, algorithm: k.alg, publicKey: unhex(k.publicKey) })),
      now: Number(c.now),
      expectedType: c.expectedType,
      lastSeq: c.lastSeq === null ? undefined : BigInt(c.lastSeq),
      maxClockSkewSeconds: c.maxClockSkewS,
    });
    assert.equal(result.code, c.expect, c.name);
    if (result.ok) {
      valid++;
      assert.equal(hex(result.payload), c.opened.payload, c.name);
      assert.equal(result.seq, BigInt(c.opened.seq), c.name);
      assert.equal(result.keyId, c.opened.keyId, c.name);
    }
  }
  assert.ok(valid >= 2, 'both algorithms produced VALID envelopes');
  console.log(`python-made envelopes opened through the SDK: ${cases.length} cases, ${valid} valid`);
});
