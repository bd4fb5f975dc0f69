// The hostile suite can fail: pointed at the raw wasm-bindgen exports (what the SDK called before
// its boundary existed), it finds the corruption the boundary prevents. Runs in its own process
// (node --test isolates files): the instance is deliberately left broken.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as glue from '../../wasm/countersign_wasm.js';
import '@countersign/sdk'; // instantiates the module the glue above belongs to
import { runEntryPoint } from './harness.mjs';

test('an unguarded entry point (raw glue sha256) fails the hostile suite', async () => {
  const api = { sha256: (data) => glue.sha256(data) };
  await assert.rejects(runEntryPoint(api, 'sha256', { args: () => [new Uint8Array([1, 2, 3])] }), (err) => {
    // fast-check reports the property's own failure as the cause.
    assert.match(String(err.cause?.message ?? err.message), /not a CountersignError/);
    return true;
  });
});

test('an unguarded envelope opener (raw glue envelopeOpen) fails the hostile suite', async () => {
  const api = { openEnvelope: (bytes, keys) => glue.envelopeOpen(bytes, keys, 1n, 't.x', undefined, 0) };
  await assert.rejects(runEntryPoint(api, 'openEnvelope', { args: () => [new Uint8Array([1, 2, 3]), []] }));
});
