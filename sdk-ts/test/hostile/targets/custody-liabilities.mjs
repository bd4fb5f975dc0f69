// Hostile-input targets: System 8's proof of liabilities (LiabilitiesTree, PublishedLiabilitiesRoot,
// verifyInclusion, decodeInclusionProof, custodyInclusionCodes).
import * as s from '@countersign/sdk';

const SECRET = new Uint8Array(32).fill(0x42);
const PLATFORM_KEY = new Uint8Array(32).fill(7);
const SIGNER = () => ({ keyId: 'platform-1', algorithm: 'EdDSA', secretKey: PLATFORM_KEY.slice() });
const TRUSTED = () => [{ keyId: 'platform-1', algorithm: 'EdDSA', publicKey: s.ed25519PublicKey(PLATFORM_KEY) }];
const NOW = 1_800_000_000;
const setup = (clientCount = 6) => ({ asset: 'BTC', round: 3, scale: 8, clientCount });
const clients = (from, to) => Array.from({ length: to - from }, (_, i) => ({ clientId: `c${from + i}`, balance: String((from + i) * 1000) }));

/** A tree with three of its six clients added (so `add` and `finish` have work to do). */
function partial() {
  const tree = s.LiabilitiesTree.create(setup(), SECRET);
  tree.add(clients(0, 3));
  return tree;
}
function finished() {
  const tree = partial();
  tree.add(clients(3, 6));
  tree.finish();
  return tree;
}
const base = finished();
const ROOT = base.publish(SIGNER(), NOW - 5, NOW + 3600);
const PROOF = base.proof(2, 'c2');
const ROOT2 = base.publish(SIGNER(), NOW - 50, NOW + 60);
base.free();

const treeState = (tree) => JSON.stringify([tree.progress(), (() => { try { return tree.publishedRoot(); } catch (e) { return e.code; } })()]);
const onPartial = { receiver: partial, state: treeState };
const onFinished = { receiver: finished, state: treeState };
function opened() {
  const result = s.PublishedLiabilitiesRoot.open(ROOT.slice(), { trustedKeys: TRUSTED(), now: NOW });
  return result.root;
}
const onRoot = { receiver: opened, state: (root) => JSON.stringify(root.view()) };

export const targets = {
  'new LiabilitiesTree': { args: () => [] }, // private: always refused
  'LiabilitiesTree.create': { args: () => [setup(), SECRET.slice()] },
  'LiabilitiesTree.build': {
    args: () => [setup(4), SECRET.slice(), (start, count) => clients(start, start + count), { sliceSize: 2, onProgress: () => {} }],
  },
  'LiabilitiesTree#add': { ...onPartial, args: () => [clients(3, 5)] },
  'LiabilitiesTree#progress': { ...onPartial, args: () => [] },
  'LiabilitiesTree#memoryBytes': { ...onPartial, args: () => [] },
  'LiabilitiesTree#finish': { receiver: () => { const t = partial(); t.add(clients(3, 6)); return t; }, state: treeState, args: () => [] },
  'LiabilitiesTree#publishedRoot': { ...onFinished, args: () => [] },
  'LiabilitiesTree#publish': { ...onFinished, args: () => [SIGNER(), NOW, NOW + 60] },
  'LiabilitiesTree#proof': { ...onFinished, args: () => [4, 'c4'] },
  'LiabilitiesTree#free': { ...onFinished, args: () => [], consumes: true },
  'LiabilitiesTree#[Symbol.dispose]': { ...onFinished, args: () => [], consumes: true },

  'new PublishedLiabilitiesRoot': { args: () => [] }, // private: always refused
  'PublishedLiabilitiesRoot.open': { args: () => [ROOT.slice(), { trustedKeys: TRUSTED(), now: NOW, lastRound: 2, maxClockSkewSeconds: 5 }] },
  'PublishedLiabilitiesRoot#view': { ...onRoot, args: () => [] },
  'PublishedLiabilitiesRoot#verify': { ...onRoot, args: () => [PROOF.slice(), 'c2', 2000n] },
  'PublishedLiabilitiesRoot#free': { ...onRoot, args: () => [], consumes: true },
  'PublishedLiabilitiesRoot#[Symbol.dispose]': { ...onRoot, args: () => [], consumes: true },

  verifyInclusion: { args: () => [PROOF.slice(), ROOT.slice(), { trustedKeys: TRUSTED(), now: NOW, clientId: 'c2', expectedBalance: '2000', lastRound: 1, maxClockSkewSeconds: 0 }] },
  decodeInclusionProof: { args: () => [PROOF.slice()] },
  custodyInclusionCodes: { args: () => [] },
  compareLiabilitiesRoots: { args: () => [ROOT.slice(), ROOT2.slice(), { trustedKeys: TRUSTED(), now: NOW, maxClockSkewSeconds: 0 }] },
  custodyRootComparisonCodes: { args: () => [] },
};
