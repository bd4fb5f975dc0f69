// Proof-of-liabilities benchmark (System 8): building the Merkle-sum tree for 1,000,000 clients
// through the SDK (LiabilitiesTree.build in slices, with progress), and inclusion proofs verified
// per second through the SDK (PublishedLiabilitiesRoot#verify: the root opened once) beside a
// plain TypeScript verifier (bench/custody-liabilities-baseline.mjs, @noble/hashes SHA-256) in the
// same run. Both verifiers must agree on every proof of a sample (genuine: INCLUDED; a tampered
// sibling sum: ROOT_MISMATCH) before anything is timed. `bench/custody-liabilities-browser.mjs`
// runs the verification rows in headless Chromium.
//
//   node bench/custody-liabilities.mjs                 (1,000,000 clients)
//   BENCH_CLIENTS=100000 node bench/custody-liabilities.mjs

import assert from 'node:assert/strict';
import { sha256 } from '@noble/hashes/sha2.js';
import * as sdk from '@countersign/sdk';
import { makeBaselineVerifier } from './custody-liabilities-baseline.mjs';
import { measureOpsPerSecond } from './measure.mjs';

const SECRET = new Uint8Array(32).fill(0x42);
const PLATFORM_KEY = new Uint8Array(32).fill(7);
const NOW = 1_800_000_000;
const SAMPLE_PROOFS = 256;
export const id = (i) => `client-${String(i).padStart(8, '0')}`;
export const balanceOf = (i) => String((i * 7_919) % 250_000_000);

const fromHex = (h) => Uint8Array.from(h.match(/../g), (b) => parseInt(b, 16));

/** Builds the tree; returns it with the build's time and progress calls. */
export async function buildTree(clients, sliceSize = 16_384) {
  let progressCalls = 0;
  const started = performance.now();
  const tree = await sdk.LiabilitiesTree.build(
    { asset: 'BTC', round: 1, scale: 8, clientCount: clients },
    SECRET,
    (start, count) => Array.from({ length: count }, (_, k) => ({ clientId: id(start + k), balance: balanceOf(start + k) })),
    { sliceSize, onProgress: () => (progressCalls += 1) },
  );
  const ms = performance.now() - started;
  return { tree, ms, progressCalls };
}

/** Proofs of a spread of clients, the published root, and both verifiers checked to agree. */
export function proofsAndVerifiers(tree, clients) {
  const published = tree.publish({ keyId: 'platform-1', algorithm: 'EdDSA', secretKey: PLATFORM_KEY }, NOW - 5, NOW + 3600);
  const opened = sdk.PublishedLiabilitiesRoot.open(published, {
    trustedKeys: [{ keyId: 'platform-1', algorithm: 'EdDSA', publicKey: sdk.ed25519PublicKey(PLATFORM_KEY) }],
    now: NOW,
  });
  assert.equal(opened.ok, true);
  const view = opened.root.view();
  const baseline = makeBaselineVerifier(sha256, { ...view, rootHash: fromHex(view.rootHash), total: BigInt(view.total) });
  const sample = Array.from({ length: SAMPLE_PROOFS }, (_, k) => Math.floor((k * clients) / SAMPLE_PROOFS));
  const proofs = sample.map((i) => ({ proof: tree.proof(i, id(i)), clientId: id(i) }));
  for (const { proof, clientId } of proofs) {
    assert.equal(opened.root.verify(proof, clientId).code, 'INCLUDED');
    assert.equal(baseline(proof, clientId), 'INCLUDED');
    const tampered = proof.slice();
    tampered[tampered.length - 1] ^= 1;
    assert.equal(opened.root.verify(tampered, clientId).code, 'ROOT_MISMATCH');
    assert.equal(baseline(tampered, clientId), 'ROOT_MISMATCH');
  }
  return { root: opened.root, baseline, proofs, depth: view.depth, proofBytes: proofs[0].proof.length };
}

/** Builds the tree (BENCH_CLIENTS, default 1,000,000) and times the verifiers; the rows' numbers. */
export async function measureCustody() {
  const clients = Number(process.env.BENCH_CLIENTS ?? 1_000_000);
  const built = await buildTree(clients);
  const memoryBytes = built.tree.memoryBytes();
  const { root, baseline, proofs, depth, proofBytes } = proofsAndVerifiers(built.tree, clients);
  let k = 0;
  const ours = measureOpsPerSecond(() => {
    const p = proofs[k++ % proofs.length];
    return root.verify(p.proof, p.clientId).code;
  });
  const theirs = measureOpsPerSecond(() => {
    const p = proofs[k++ % proofs.length];
    return baseline(p.proof, p.clientId);
  });
  root.free();
  built.tree.free();
  return { clients, buildMs: built.ms, progressCalls: built.progressCalls, memoryBytes, depth, proofBytes, ours, theirs };
}

const fmt = (x) => Math.round(x).toLocaleString('en-US');

export function custodyTable(m) {
  return [
    `custody (System 8) proof of liabilities through the SDK (Node): a tree of ${m.clients.toLocaleString('en-US')} clients built with LiabilitiesTree.build (slices of 16,384, ${m.progressCalls} progress calls) in ${(m.buildMs / 1000).toFixed(2)} s = ${fmt(m.clients / (m.buildMs / 1000))} clients/s, holding ${(m.memoryBytes / 2 ** 20).toFixed(1)} MiB of wasm memory (${(m.memoryBytes / m.clients).toFixed(1)} bytes per client). Inclusion proofs (depth ${m.depth}, ${m.proofBytes} bytes) against the root opened once, beside a hand-written TypeScript verifier on @noble/hashes SHA-256; both agree on every sampled proof, genuine and tampered, first (Chromium: node bench/custody-liabilities-browser.mjs):`,
    '',
    '| op | countersign /s | TypeScript baseline /s | ratio (countersign/baseline) |',
    '|---|---:|---:|---:|',
    `| inclusion proofs verified (PublishedLiabilitiesRoot#verify) | ${fmt(m.ours)} | ${fmt(m.theirs)} | ${(m.ours / m.theirs).toFixed(2)} |`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(custodyTable(await measureCustody()).join('\n'));
