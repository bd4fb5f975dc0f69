// Inclusion proofs verified per second in headless Chromium (System 8's proof of liabilities):
// the SDK's PublishedLiabilitiesRoot#verify (the proof page's module since the custody parts, `custody-liabilities`: `init({ systems: ['custody.liabilities'] })`)
// beside the plain TypeScript verifier of bench/custody-liabilities-baseline.mjs with
// @noble/hashes SHA-256 (served from the npm install), in the same page and run, on proofs of a
// tree the page builds itself (BENCH_CLIENTS, default 100,000 clients: depth 17). Both must agree
// on every sampled proof (INCLUDED, and ROOT_MISMATCH once a sibling sum is tampered) first.
//
//   node bench/custody-liabilities-browser.mjs

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MOUNTS, startServer } from '../scripts/serve.mjs';
import { launchBrowser, waitForSdkReady } from '../tests/browser/helpers.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const clients = Number(process.env.BENCH_CLIENTS ?? 100_000);
const measureMs = Number(process.env.BENCH_MEASURE_MS ?? 2000);

const server = await startServer({
  port: 0,
  host: '127.0.0.1',
  mounts: {
    ...DEFAULT_MOUNTS,
    '/bench/': path.join(repoRoot, 'bench'),
    '/vendor/noble-hashes/': path.join(repoRoot, 'node_modules', '@noble', 'hashes'),
  },
});
const browser = await launchBrowser();
try {
  const page = await browser.newPage();
  await page.goto(new URL('custody-proof.html', server.url).href);
  await waitForSdkReady(page);
  const result = await page.evaluate(
    async ({ clients, measureMs }) => {
      const sdk = await import('/sdk/dist/index.js');
      const { sha256 } = await import('/vendor/noble-hashes/sha2.js');
      const { makeBaselineVerifier } = await import('/bench/custody-liabilities-baseline.mjs');
      const id = (i) => `client-${String(i).padStart(8, '0')}`;
      const key = new Uint8Array(32).fill(7);
      const now = 1_800_000_000;
      let progressCalls = 0;
      const t0 = performance.now();
      const tree = await sdk.LiabilitiesTree.build(
        { asset: 'BTC', round: 1, scale: 8, clientCount: clients },
        new Uint8Array(32).fill(0x42),
        (start, count) => Array.from({ length: count }, (_, k) => ({ clientId: id(start + k), balance: String(((start + k) * 7919) % 250000000) })),
        { sliceSize: 16384, onProgress: () => (progressCalls += 1) },
      );
      const buildMs = performance.now() - t0;
      const memoryBytes = tree.memoryBytes();
      const published = tree.publish({ keyId: 'p', algorithm: 'EdDSA', secretKey: key }, now - 5, now + 3600);
      const opened = sdk.PublishedLiabilitiesRoot.open(published, { trustedKeys: [{ keyId: 'p', algorithm: 'EdDSA', publicKey: sdk.ed25519PublicKey(key) }], now });
      const view = opened.root.view();
      const hex = (h) => Uint8Array.from(h.match(/../g), (b) => parseInt(b, 16));
      const baseline = makeBaselineVerifier(sha256, { ...view, rootHash: hex(view.rootHash), total: BigInt(view.total) });
      const proofs = Array.from({ length: 256 }, (_, k) => {
        const i = Math.floor((k * clients) / 256);
        return { proof: tree.proof(i, id(i)), clientId: id(i) };
      });
      for (const p of proofs) {
        const t = p.proof.slice();
        t[t.length - 1] ^= 1;
        const codes = [opened.root.verify(p.proof, p.clientId).code, baseline(p.proof, p.clientId), opened.root.verify(t, p.clientId).code, baseline(t, p.clientId)];
        if (codes.join() !== 'INCLUDED,INCLUDED,ROOT_MISMATCH,ROOT_MISMATCH') throw new Error(`verifiers disagree: ${codes}`);
      }
      const rate = (fn) => {
        let n = 0;
        const warm = performance.now();
        while (performance.now() - warm < measureMs / 5) fn(proofs[n++ % proofs.length]);
        n = 0;
        const start = performance.now();
        while (performance.now() - start < measureMs) for (let b = 0; b < 16; b++) fn(proofs[n++ % proofs.length]);
        return n / ((performance.now() - start) / 1000);
      };
      const ours = rate((p) => opened.root.verify(p.proof, p.clientId));
      const theirs = rate((p) => baseline(p.proof, p.clientId));
      // The whole client check as the page runs it: the signed root opened (Ed25519) every time.
      const trusted = [{ keyId: 'p', algorithm: 'EdDSA', publicKey: sdk.ed25519PublicKey(key) }];
      const full = rate((p) => sdk.verifyInclusion(p.proof, published, { trustedKeys: trusted, now, clientId: p.clientId }));
      opened.root.free();
      tree.free();
      return { buildMs, memoryBytes, progressCalls, depth: view.depth, proofBytes: proofs[0].proof.length, ours, theirs, full, ua: navigator.userAgent };
    },
    { clients, measureMs },
  );
  const f = (x) => Math.round(x).toLocaleString('en');
  console.log(`Chromium (${result.ua.match(/Chrome\/[\d.]+/)?.[0]}), ${clients.toLocaleString('en')} clients built in the page in ${(result.buildMs / 1000).toFixed(2)} s (${result.progressCalls} progress calls, ${(result.memoryBytes / clients).toFixed(1)} bytes of wasm memory per client), depth ${result.depth}, proofs of ${result.proofBytes} bytes`);
  console.log(`| inclusion proofs verified, root opened once (PublishedLiabilitiesRoot#verify) | ${f(result.ours)} | TypeScript + @noble/hashes ${f(result.theirs)} | ${(result.ours / result.theirs).toFixed(2)} |`);
  console.log(`| the whole check, signed root opened each time (verifyInclusion, Ed25519 included) | ${f(result.full)} | | |`);
} finally {
  await browser.close();
  await server.close();
}
