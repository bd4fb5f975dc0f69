// The proof-of-liabilities vectors of tests/vectors/custody/liabilities.json through the SDK: the
// same file cargo test runs (core/tests/custody_liabilities_vectors.rs). Each tree is built in the
// file's chunks and gives the model's root statement, signed payload and every client's proof
// byte for byte (and each proof checks INCLUDED in the SDK's verifyInclusion); each verification
// (honest proofs and the known attacks) signs the model's root payload here and gives the model's
// code; each refused build gives the model's error code and path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  LIABILITIES_ROOT_TYPE,
  LiabilitiesTree,
  decodeInclusionProof,
  ed25519PublicKey,
  openEnvelope,
  sealEnvelope,
  verifyInclusion,
} from '@countersign/sdk';
import { readJson } from './helpers.mjs';

const PLATFORM_KEY = new Uint8Array(32).fill(7);
const PUBLIC_KEY = ed25519PublicKey(PLATFORM_KEY);
const TRUSTED = [{ keyId: 'platform-1', algorithm: 'EdDSA', publicKey: PUBLIC_KEY }];
const NOW = 1_800_000_000;
const SIGNER = { keyId: 'platform-1', algorithm: 'EdDSA', secretKey: PLATFORM_KEY };

const fromHex = (h) => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));
const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function buildTree(doc, c) {
  const tree = LiabilitiesTree.create(c.setup, fromHex(doc.saltSecret));
  try {
    for (const chunk of c.chunks) tree.add(chunk);
    return tree;
  } catch (e) {
    tree.free();
    throw e;
  }
}

test('liabilities trees through the SDK: roots, payloads and proofs byte for byte', () => {
  const doc = readJson('custody/liabilities.json');
  assert.ok(doc.trees.length >= 6);
  for (const c of doc.trees) {
    const tree = buildTree(doc, c);
    try {
      assert.deepEqual(tree.finish(), c.expect.publishedRoot, c.name);
      const signed = tree.publish(SIGNER, NOW - 60, NOW + 3600);
      const opened = openEnvelope(signed, { trustedKeys: TRUSTED, now: NOW, expectedType: LIABILITIES_ROOT_TYPE });
      assert.equal(opened.ok, true, c.name);
      assert.equal(toHex(opened.payload), c.expect.rootPayload, `${c.name}: payload`);
      const clients = c.chunks.flat();
      clients.forEach((client, i) => {
        const proof = tree.proof(i, client.clientId);
        assert.equal(toHex(proof), c.expect.proofs[i], `${c.name}: proof ${i}`);
        assert.equal(decodeInclusionProof(proof).salt, c.expect.salts[i], `${c.name}: salt ${i}`);
        const out = verifyInclusion(proof, signed, { trustedKeys: TRUSTED, now: NOW, clientId: client.clientId, expectedBalance: BigInt(client.balance) });
        assert.equal(out.code, 'INCLUDED', `${c.name}: client ${i}`);
        assert.equal(out.path[0].hash, c.expect.leaves[i], `${c.name}: leaf ${i}`);
        assert.equal(out.computedTotal, c.expect.publishedRoot.total);
      });
    } finally {
      tree.free();
    }
  }
});

test('liabilities verifications through the SDK: the model codes, attacks included', () => {
  const doc = readJson('custody/liabilities.json');
  assert.ok(doc.verifications.length >= 20);
  const seen = new Set();
  for (const v of doc.verifications) {
    const root = sealEnvelope({
      type: LIABILITIES_ROOT_TYPE, version: 1, keyId: 'platform-1', seq: v.rootRound, issuedAt: NOW - 60, expiresAt: NOW + 3600,
      payload: fromHex(v.rootPayload), algorithm: 'EdDSA', secretKey: PLATFORM_KEY,
    });
    const options = { trustedKeys: TRUSTED, now: NOW, clientId: v.clientId };
    const out = verifyInclusion(fromHex(v.proof), root, v.expectedBalance === undefined ? options : { ...options, expectedBalance: v.expectedBalance });
    assert.equal(out.code, v.expect, v.name);
    seen.add(out.code);
  }
  assert.ok(seen.size >= 13, [...seen].join());
});

test('refused liabilities builds through the SDK: the model errors', () => {
  const doc = readJson('custody/liabilities.json');
  for (const c of doc.errors) {
    assert.throws(() => buildTree(doc, c).free(), (e) => e.code === c.expect.error.code && e.param === c.expect.error.param, c.name);
  }
});
