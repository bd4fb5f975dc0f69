// The proof of liabilities across a real network: the platform behind node:http on 127.0.0.1
// (ephemeral port) builds the BTC tree for a round from its client database, publishes the signed
// root once (kept in FileStorage: a restart serves the same signed bytes, never a fresh root), and
// answers GET /liabilities/BTC/root and GET /liabilities/BTC/proof?client=<id>. A client fetches
// the published root and their proof and verifies in place; the platform is stopped and started
// again between two clients' requests (the tree rebuilt from the database and checked against the
// stored root before serving); the root fetched after the restart is byte-identical, and the
// second client's proof verifies against the copy of the root the first client kept.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FileStorage, LiabilitiesTree, PublishedLiabilitiesRoot, ed25519PublicKey, verifyInclusion } from '@countersign/sdk';

const NOW = 1_800_000_000;
const SECRET = new Uint8Array(32).fill(0x42);
const PLATFORM_KEY = new Uint8Array(32).fill(7);
const TRUSTED = [{ keyId: 'platform-1', algorithm: 'EdDSA', publicKey: ed25519PublicKey(PLATFORM_KEY) }];
const ROUND = 12;
const ROOT_KEY = `liabilities/BTC/${ROUND}/root`;
const workDir = mkdtempSync(join(tmpdir(), 'countersign-liabilities-http-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

// The platform's client database: ids in ascending order, each client's position is its index.
const CLIENTS = Array.from({ length: 3_000 }, (_, i) => ({ clientId: `client-${String(i).padStart(5, '0')}`, balance: String((i * 104_729) % 90_000_000) }));
const INDEX = new Map(CLIENTS.map((c, i) => [c.clientId, i]));

async function startPlatform(storage) {
  const tree = await LiabilitiesTree.build({ asset: 'BTC', round: ROUND, scale: 8, clientCount: CLIENTS.length }, SECRET, (start, count) => CLIENTS.slice(start, start + count), { sliceSize: 1_000 });
  let stored = await storage.get(ROOT_KEY);
  if (stored === null) {
    const signed = tree.publish({ keyId: 'platform-1', algorithm: 'EdDSA', secretKey: PLATFORM_KEY }, NOW - 60, NOW + 30 * 86_400);
    assert.equal((await storage.put(ROOT_KEY, signed, null)).ok, true);
    stored = await storage.get(ROOT_KEY);
  }
  // Serve only if the rebuilt tree is the one published: the stored root must open to the same statement.
  const opened = PublishedLiabilitiesRoot.open(stored.value, { trustedKeys: TRUSTED, now: NOW });
  assert.equal(opened.ok, true);
  assert.deepEqual(opened.root.view(), tree.publishedRoot());
  opened.root.free();
  const published = stored.value;
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const send = (status, body, type = 'application/octet-stream') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (req.method === 'GET' && url.pathname === '/liabilities/BTC/root') return send(200, published);
    if (req.method === 'GET' && url.pathname === '/liabilities/BTC/proof') {
      const client = url.searchParams.get('client') ?? '';
      const index = INDEX.get(client);
      if (index === undefined) return send(404, 'unknown client\n', 'text/plain');
      return send(200, tree.proof(index, client));
    }
    return send(404, 'not found\n', 'text/plain');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    async stop() {
      await new Promise((resolve) => server.close(resolve));
      tree.free();
    },
  };
}

const fetchBytes = async (url) => {
  const res = await fetch(url);
  return { status: res.status, bytes: new Uint8Array(await res.arrayBuffer()) };
};

test('clients verify their proofs over HTTP, with the platform restarted in the middle', async () => {
  const storage = new FileStorage(join(workDir, 'platform'));
  let platform = await startPlatform(storage);
  try {
    const alice = CLIENTS[1234];
    const root = await fetchBytes(`${platform.url}/liabilities/BTC/root`);
    assert.equal(root.status, 200);
    const proof = await fetchBytes(`${platform.url}/liabilities/BTC/proof?client=${alice.clientId}`);
    const out = verifyInclusion(proof.bytes, root.bytes, { trustedKeys: TRUSTED, now: NOW, clientId: alice.clientId, expectedBalance: alice.balance });
    assert.equal(out.code, 'INCLUDED');
    assert.equal((await fetchBytes(`${platform.url}/liabilities/BTC/proof?client=mallory`)).status, 404);

    await platform.stop();
    platform = await startPlatform(storage);

    const again = await fetchBytes(`${platform.url}/liabilities/BTC/root`);
    assert.deepEqual(again.bytes, root.bytes, 'the restarted platform serves the same signed root');
    const bob = CLIENTS[2999];
    const bobs = await fetchBytes(`${platform.url}/liabilities/BTC/proof?client=${bob.clientId}`);
    // Bob checks against the root Alice kept from before the restart: the same published root.
    assert.equal(verifyInclusion(bobs.bytes, root.bytes, { trustedKeys: TRUSTED, now: NOW, clientId: bob.clientId, expectedBalance: bob.balance }).code, 'INCLUDED');
    // And Alice's old proof still checks against the root served after the restart.
    assert.equal(verifyInclusion(proof.bytes, again.bytes, { trustedKeys: TRUSTED, now: NOW, clientId: alice.clientId }).code, 'INCLUDED');
  } finally {
    await platform.stop();
    await storage.close();
  }
});
