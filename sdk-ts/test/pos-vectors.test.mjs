// The pos vectors of tests/vectors/pos/ through the SDK: the same file cargo test runs
// (core/tests/pos_vectors.rs), step by step on one PosTerminalState, every result compared with
// the independent model's expectation; an error leaves the terminal unchanged (same snapshot bytes).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PosTerminalState, CountersignError } from '@countersign/sdk';
import { readJson } from './helpers.mjs';

const KEY = new Uint8Array(32).fill(0x33);

function step(t, s) {
  switch (s.step) {
    case 'observe':
      return t.observe(s.observation);
    case 'route':
      return t.route(s.mode).code;
    case 'store': {
      let out;
      try {
        out = t.store(s.request, s.nowMs);
      } catch (e) {
        assert.ok(e instanceof CountersignError);
        return { error: { code: e.code, param: e.param } };
      }
      if (out.code === 'STORED') return { code: 'STORED', seq: out.entry.seq, hash: out.entry.hash };
      if (out.code === 'ALREADY_STORED') return { code: 'ALREADY_STORED', seq: out.entry.seq };
      return { code: out.code };
    }
    case 'begin': {
      const out = t.beginForward(s.nowMs, s.flush);
      if (out.code === 'FORWARD') return { code: 'FORWARD', key: out.entry.idempotencyKey, attempts: out.entry.attempts };
      if (out.code === 'NOT_DUE') return { code: 'NOT_DUE', key: out.entry.idempotencyKey, retryAtMs: out.retryAtMs };
      return { code: out.code };
    }
    case 'result': {
      const out = t.forwardResult(s.key, s.result, s.nowMs, s.jitter);
      if (out.code === 'NOT_FORWARDING') return { code: 'NOT_FORWARDING' };
      return { code: out.code, state: out.entry.state, retryAtMs: out.retryAtMs };
    }
    case 'tick':
      return t.tick(s.nowMs).events.map((e) => [e.kind, e.entry.idempotencyKey]);
    case 'summary': {
      const q = t.exportQueue();
      assert.equal(q.chainValid, true);
      return { headHash: q.headHash, anchorHash: q.anchorHash, states: q.entries.map((e) => [e.idempotencyKey, e.state]), totals: q.totals, network: t.status().network.state };
    }
    default:
      throw new Error(`unknown step ${s.step}`);
  }
}

test('pos vectors through the SDK', () => {
  const doc = readJson('pos/scenarios.json');
  assert.ok(doc.scenarios.length >= 5);
  let steps = 0;
  for (const sc of doc.scenarios) {
    const t = PosTerminalState.create(sc.config);
    try {
      sc.steps.forEach((s, i) => {
        const before = s.step === 'store' ? t.snapshot(KEY) : null;
        const got = step(t, s);
        assert.deepEqual(got, s.expect, `${sc.name}: step ${i} (${s.step})`);
        if (got && got.error) assert.deepEqual(t.snapshot(KEY), before, `${sc.name}: step ${i}: an error changed the terminal`);
        steps++;
      });
      const back = PosTerminalState.restore(t.snapshot(KEY), KEY);
      assert.deepEqual(back.exportQueue(), t.exportQueue(), `${sc.name}: restore`);
      back.free();
    } finally {
      t.free();
    }
  }
  assert.ok(steps > 1000);
});
