// The ledger scenarios of tests/vectors/ledger/ through the SDK: the same files cargo test runs.
// Every step's expected outcome, account views, heads and journal bytes are compared; after
// every step the new journal entries are committed through a LedgerStore (MemoryStorage), and at
// the end the ledger loaded back from the store must equal the live one.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { Ledger, LedgerStore, MemoryStorage } from '@countersign/sdk';
import { hex, readJson, unhex, vectorsDir } from './helpers.mjs';

const files = readdirSync(new URL('ledger/', vectorsDir)).filter((f) => f.endsWith('.json'));

const OPERATIONS = new Set([
  'openAccount', 'transfer', 'hold', 'increment', 'extend', 'post', 'void', 'expireDue',
  'setCreditLimit', 'closeAccount', 'setKeyRetention',
]);
/** Outcomes that change nothing and are not journaled. */
const UNJOURNALED = new Set(['IDEMPOTENCY_KEY_REUSED', 'IDEMPOTENCY_KEYS_FULL', 'JOURNAL_FULL']);

function assertSubset(expected, actual, ctx) {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    assert.ok(actual !== null && typeof actual === 'object', `${ctx}: expected an object, got ${JSON.stringify(actual)}`);
    for (const [key, value] of Object.entries(expected)) {
      assert.ok(key in actual, `${ctx}: no field ${key} in ${JSON.stringify(actual)}`);
      assertSubset(value, actual[key], `${ctx}.${key}`);
    }
  } else {
    assert.deepEqual(actual, expected, ctx);
  }
}

function state(ledger) {
  return hex(ledger.stateDigest()) + JSON.stringify(ledger.head());
}

assert.ok(files.length >= 4, 'the ledger vector files are present');

for (const file of files) {
  test(`ledger vectors through the SDK: ${file}`, async () => {
    const doc = readJson(`ledger/${file}`);
    assert.ok(doc.description.startsWith('countersign ledger scenario'));
    const key = unhex(doc.snapshotKey);
    const storage = new MemoryStorage();
    const store = new LedgerStore(storage, key, { name: file.replace(/\W/g, '-'), snapshotEvery: 7 });
    let ledger = await store.load();
    const persisted = [];
    for (const [index, step] of doc.steps.entries()) {
      const ctx = `${file} step ${index} (${step.step})`;
      const before = state(ledger);
      const expect = step.expect ?? null;
      if (OPERATIONS.has(step.step)) {
        const run = () => ledger[step.step](step.request);
        if (expect?.error) {
          assert.throws(run, (err) => {
            assert.equal(err.code, expect.error.code, `${ctx}: ${err.message}`);
            assert.equal(err.param, `request.${expect.error.param}`, `${ctx}: ${err.message}`);
            return true;
          });
          assert.equal(state(ledger), before, `${ctx}: an error changed the ledger`);
        } else {
          const outcome = run();
          if (expect) assertSubset(expect, outcome, ctx);
          if (outcome.repeated || UNJOURNALED.has(outcome.code)) assert.equal(state(ledger), before, `${ctx}: changed`);
          else assert.equal(ledger.head().seq, JSON.parse(before.slice(64)).seq + 1, `${ctx}: journaled once`);
        }
      } else if (step.step === 'batch') {
        const run = () => ledger.executeBatch(step.operations);
        if (expect?.error) {
          assert.throws(run, (err) => {
            assert.equal(err.code, expect.error.code, `${ctx}: ${err.message}`);
            assert.equal(err.param, expect.error.param, `${ctx}: ${err.message}`);
            return true;
          });
          assert.equal(state(ledger), before, `${ctx}: an error changed the ledger`);
        } else {
          const outcomes = run();
          assert.equal(outcomes.length, expect.length, `${ctx}: one outcome per operation`);
          outcomes.forEach((outcome, i) => assertSubset(expect[i], outcome, `${ctx} operation ${i}`));
          // Exactly the standing operations were journaled, in order.
          const seq0 = JSON.parse(before.slice(64)).seq;
          const journaled = outcomes.filter((o) => o.seq > 0 && !o.repeated).map((o) => o.seq);
          assert.deepEqual(journaled, journaled.map((_, i) => seq0 + i + 1), `${ctx}: journaled`);
          assert.equal(ledger.head().seq, seq0 + journaled.length, `${ctx}: journaled`);
          // Failed chains and repeats: nothing of them stands.
          if (journaled.length === 0) assert.equal(state(ledger), before, `${ctx}: changed the ledger`);
        }
      } else if (step.step === 'account') {
        const view = ledger.account(step.accountId);
        if (expect === null) assert.equal(view, undefined, ctx);
        else assertSubset(expect, view, ctx);
      } else if (step.step === 'holdView') {
        const view = ledger.holdView(step.holdId);
        if (expect === null) assert.equal(view, undefined, ctx);
        else assertSubset(expect, view, ctx);
      } else if (step.step === 'snapshot') {
        const bytes = ledger.snapshot(key);
        const restored = Ledger.restore(bytes, key);
        assert.equal(state(restored), state(ledger), ctx);
        assert.equal(hex(restored.snapshot(key)), hex(bytes), ctx);
        // The restored ledger has no retained journal: persist what is pending first.
        for (const entry of ledger.journalAfter(persisted.length)) persisted.push(entry);
        assert.equal(await store.commit(ledger), true);
        ledger.free();
        ledger = restored;
      } else if (step.step === 'replay') {
        const replayed = Ledger.replay(persisted.concat(ledger.journalAfter(persisted.length)));
        assert.equal(state(replayed), state(ledger), ctx);
        replayed.free();
      } else if (step.step === 'head') {
        assert.deepEqual(ledger.head(), expect, ctx);
      } else if (step.step === 'journalEntry') {
        const all = persisted.concat(ledger.journalAfter(persisted.length));
        assert.equal(hex(all[step.seq - 1]), expect.hex, ctx);
      } else {
        assert.fail(`${ctx}: unknown step kind`);
      }
      for (const entry of ledger.journalAfter(persisted.length)) persisted.push(entry);
      assert.equal(await store.commit(ledger), true, `${ctx}: commit`);
      assert.equal(ledger.counts().journalRetained, 0, `${ctx}: commit truncates`);
      for (const [id, expected] of Object.entries(step.accounts ?? {})) {
        assertSubset(expected, ledger.account(id), `${ctx}: account ${id}`);
      }
      ledger.checkInvariants();
    }
    const replayed = Ledger.replay(persisted);
    assert.equal(state(replayed), state(ledger), `${file}: final replay`);
    // A ledger whose keys the store keeps (setKeyRetention "store") loads only with a retention.
    const keyRetention = ledger.keysKeptBy === 'store' ? { keyRetentionSeconds: 86_400 } : {};
    const loaded = await new LedgerStore(storage, key, { name: file.replace(/\W/g, '-'), ...keyRetention }).load();
    assert.equal(state(loaded), state(ledger), `${file}: loaded from the store`);
  });
}
