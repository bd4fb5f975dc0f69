// The shared vectors (tests/vectors/money, tests/vectors/envelope) through the SDK: the same
// files cargo test runs, so Rust and the wasm build must agree byte for byte.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Amount, openEnvelope, sealEnvelope } from '@countersign/sdk';
import { hex, readJson, unhex } from './helpers.mjs';

/** Runs one money case; returns the SDK's answer as the vector spells it. */
function runMoneyCase(c) {
  const parse = (value, code) => Amount.parse(value, code);
  switch (c.op) {
    case 'parse':
      return Amount.parse(c.input, c.currency, c.rounding === null ? undefined : { rounding: c.rounding }).toString();
    case 'fromMinor':
      return Amount.fromMinor(BigInt(c.minor), c.currency).toString();
    case 'toMinor':
      return parse(c.a, c.currency).toMinor().toString();
    case 'add':
      return parse(c.a, c.currency).add(parse(c.b, c.currencyB ?? c.currency)).toString();
    case 'sub':
      return parse(c.a, c.currency).sub(parse(c.b, c.currencyB ?? c.currency)).toString();
    case 'mul':
      return parse(c.a, c.currency).mul(c.factor, c.rounding).toString();
    case 'compare':
      return String(parse(c.a, c.currency).compare(parse(c.b, c.currencyB ?? c.currency)));
    case 'split':
      return parse(c.a, c.currency).split(c.ratios.map(BigInt)).map(String);
    default:
      throw new Error(`unknown op ${c.op}`);
  }
}

test('money vectors: every case through the SDK', () => {
  const { cases } = readJson('money/amounts.json');
  let ran = 0;
  let unrepresentable = 0;
  for (const c of cases) {
    const label = `${c.op} ${JSON.stringify(c)}`;
    if (c.op === 'fromMinor' && c.error === 'AMOUNT_SYNTAX') {
      // Malformed integer strings ("1.0", "01", " 1") cannot be passed: the SDK takes a bigint.
      // Check that the string really has no canonical bigint spelling.
      let canonical = false;
      try {
        canonical = BigInt(c.minor).toString() === c.minor;
      } catch {
        canonical = false;
      }
      assert.equal(canonical, false, label);
      unrepresentable++;
      continue;
    }
    if ('error' in c) {
      assert.throws(() => runMoneyCase(c), (e) => e.code === c.error, label);
    } else {
      assert.deepEqual(runMoneyCase(c), c.expect, label);
    }
    ran++;
  }
  console.log(`money vectors through the SDK: ${ran} cases ran, ${unrepresentable} not expressible as a bigint`);
  assert.ok(ran >= 200);
});

/** Times and sequence numbers are decimal strings in the vectors; the SDK takes numbers/bigints. */
function time(text) {
  const value = Number(text);
  assert.ok(Number.isSafeInteger(value), `vector time ${text} is a safe integer`);
  return value;
}

test('envelope seal vectors: byte-identical to Rust, errors with the same code and parameter', () => {
  const { cases } = readJson('envelope/seal.json');
  let ran = 0;
  for (const c of cases) {
    const input = {
      type: c.type,
      version: c.version,
      keyId: c.keyId,
      seq: BigInt(c.seq),
      issuedAt: Number(c.issuedAt),
      expiresAt: Number(c.expiresAt),
      payload: 'payloadZeros' in c ? new Uint8Array(c.payloadZeros) : unhex(c.payload),
      algorithm: c.alg,
      secretKey: unhex(c.secretKey),
    };
    if ('error' in c) {
      // A time that is not a safe integer cannot even be written as a number: the SDK refuses it
      // before crossing (INVALID_ARGUMENT); everything else must fail in the core with its code.
      const unsafeTime = ![c.issuedAt, c.expiresAt].every((t) => Number.isSafeInteger(Number(t)));
      const code = unsafeTime ? 'INVALID_ARGUMENT' : c.error.code;
      assert.throws(() => sealEnvelope(input), (e) => e.code === code && e.param.endsWith(c.error.param), c.name);
    } else {
      assert.equal(hex(sealEnvelope(input)), c.envelope, c.name);
    }
    ran++;
  }
  console.log(`envelope seal vectors through the SDK: ${ran} cases ran`);
});

test('envelope open vectors: the same outcome and fields as Rust', () => {
  const { cases } = readJson('envelope/open.json');
  let ran = 0;
  for (const c of cases) {
    const result = openEnvelope(unhex(c.envelope), {
      trustedKeys: c.trustedKeys.map((k) => ({ keyId: k.keyId, algorithm: k.alg, publicKey: unhex(k.publicKey) })),
      now: time(c.now),
      expectedType: c.expectedType,
      lastSeq: c.lastSeq === null ? undefined : BigInt(c.lastSeq),
      maxClockSkewSeconds: c.maxClockSkewS,
    });
    assert.equal(result.code, c.expect, c.name);
    assert.equal(result.ok, c.expect === 'VALID', c.name);
    if (result.ok) {
      const o = c.opened;
      assert.deepEqual(
        {
          algorithm: result.algorithm,
          keyId: result.keyId,
          type: result.type,
          version: result.version,
          seq: result.seq,
          issuedAt: result.issuedAt,
          expiresAt: result.expiresAt,
          payload: hex(result.payload),
        },
        {
          algorithm: o.alg,
          keyId: o.keyId,
          type: o.type,
          version: o.version,
          seq: BigInt(o.seq),
          issuedAt: time(o.issuedAt),
          expiresAt: time(o.expiresAt),
          payload: o.payload,
        },
        c.name,
      );
    }
    ran++;
  }
  console.log(`envelope open vectors through the SDK: ${ran} cases ran`);
});
