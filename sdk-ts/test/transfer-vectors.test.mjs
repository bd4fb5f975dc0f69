// The transfer vectors of tests/vectors/transfer/ through the SDK: the same files cargo test runs
// (core/tests/transfer_vectors.rs). Identifier checks, resolutions (traces included; aliases
// completed with the directory's answer), and every instruction in every format: the message
// text byte for byte with its loss report, and what parsing it back gives.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  TransferResolver,
  transferCheckAba,
  transferCheckBic,
  transferCheckIban,
  transferCheckInstruction,
  transferGenerate,
  transferLuhn,
  transferParse,
  transferWithLosses,
} from '@countersign/sdk';
import { readJson } from './helpers.mjs';

test('transfer identifier vectors through the SDK', () => {
  const doc = readJson('transfer/identifiers.json');
  assert.ok(doc.iban.length >= 80);
  for (const c of doc.iban) {
    const { branchCode, ...got } = transferCheckIban(c.input);
    void branchCode; // the registries disagree on branch identifiers (generate.py): not compared
    if (c.rustDiffers === undefined) assert.deepEqual(got, c.expected, c.input);
    else assert.notDeepEqual(got[c.rustDiffers.field], c.expected[c.rustDiffers.field], `${c.input}: ${c.rustDiffers.why}`);
  }
  for (const c of doc.bic) assert.deepEqual(transferCheckBic(c.input), c.expected, c.input);
  for (const c of doc.aba) assert.equal(transferCheckAba(c.input), c.expected, c.input);
  for (const c of doc.luhn) assert.equal(transferLuhn(c.input), c.expected, c.input);
});

test('transfer resolve vectors through the SDK', () => {
  const doc = readJson('transfer/resolve.json');
  const resolver = TransferResolver.create(doc.rules);
  try {
    for (const c of doc.cases) {
      const got = c.answer === null ? resolver.resolve(c.identifier) : resolver.resolveAlias(c.identifier, c.answer);
      assert.deepEqual(got, c.expected, c.identifier);
    }
  } finally {
    resolver.free();
  }
});

test('transfer format vectors through the SDK', () => {
  const doc = readJson('transfer/formats.json');
  for (const c of doc.cases) {
    const normalised = transferCheckInstruction(c.instruction);
    assert.deepEqual(normalised, c.normalised, `${c.name}: normalised`);
    for (const m of c.messages) {
      const got = transferGenerate(m.message.format, c.instruction);
      assert.deepEqual(got, m.message, `${c.name}: ${m.message.format}`);
      const back = transferParse(m.message.format, got.text);
      assert.deepEqual(back, m.parsedBack, `${c.name}: ${m.message.format} parsed back`);
      assert.deepEqual(transferWithLosses(normalised, got.losses), back, `${c.name}: ${m.message.format} with losses`);
    }
  }
  for (const c of doc.errors) {
    assert.throws(() => transferGenerate('pain.001.001.09', c.instruction), (e) => e.code === c.error.code && e.param === c.error.param, c.name);
  }
});
