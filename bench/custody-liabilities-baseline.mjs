// The plain TypeScript inclusion-proof verifier the proof-of-liabilities bench sets beside the
// SDK: written by hand from the spec in core/src/custody/liabilities.rs (DataView decoding,
// SHA-256 of each leaf and node, sums as bigints, the root hash and total compared), checking the
// same things the core checks after the root is opened — client, asset, round, root, balance and
// sibling ranges, path length, index — and answering a code. No imports: the SHA-256 is passed in
// (@noble/hashes in Node and in the page), so the same file runs in both.

const enc = new TextEncoder();
const LEAF_BALANCE_MAX = (1n << 96n) - 1n;
const TAG_LEAF = enc.encode('countersign/pol/leaf');
const TAG_NODE = enc.encode('countersign/pol/node');

function u128(view, at) {
  return (view.getBigUint64(at) << 64n) | view.getBigUint64(at + 8);
}
function putU128(out, at, v) {
  const view = new DataView(out.buffer, out.byteOffset);
  view.setBigUint64(at, v >> 64n);
  view.setBigUint64(at + 8, v & 0xffff_ffff_ffff_ffffn);
}
function equal(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

/**
 * A verifier bound to a root the caller already opened (`{ asset, round, leafCount, depth,
 * rootHash: Uint8Array, total: bigint }`), using `sha256(bytes) => Uint8Array`.
 */
export function makeBaselineVerifier(sha256, root) {
  const node = new Uint8Array(TAG_NODE.length + 96);
  node.set(TAG_NODE);
  const assetBytes = enc.encode(root.asset);
  return function verify(proof, clientId) {
    const view = new DataView(proof.buffer, proof.byteOffset, proof.byteLength);
    let at = 0;
    if (proof.length < 2 || proof[0] !== 1) return 'PROOF_MALFORMED';
    const assetLen = proof[1];
    at = 2;
    const asset = proof.subarray(at, at + assetLen);
    at += assetLen;
    if (proof.length < at + 8 + 32 + 1) return 'PROOF_MALFORMED';
    const round = view.getBigUint64(at);
    at += 8;
    const rootHash = proof.subarray(at, at + 32);
    at += 32;
    const idLen = proof[at];
    const idStart = at;
    at += 1 + idLen;
    const idBytes = proof.subarray(idStart + 1, at);
    const leafFieldsStart = idStart;
    if (proof.length < at + 32 + 16 + 4 + 1) return 'PROOF_MALFORMED';
    at += 32; // salt
    const balance = u128(view, at);
    at += 16;
    const index = view.getUint32(at);
    at += 4;
    const depth = proof[at];
    at += 1;
    if (proof.length !== at + depth * 48) return 'PROOF_MALFORMED';
    if (!equal(idBytes, enc.encode(clientId))) return 'CLIENT_MISMATCH';
    if (!equal(asset, assetBytes)) return 'ASSET_MISMATCH';
    if (round !== BigInt(root.round)) return 'ROUND_MISMATCH';
    if (!equal(rootHash, root.rootHash)) return 'ROOT_NOT_PUBLISHED';
    if (balance > LEAF_BALANCE_MAX) return 'BALANCE_OUT_OF_RANGE';
    if (depth !== root.depth) return 'PATH_LENGTH_MISMATCH';
    if (index >= root.leafCount) return 'INDEX_OUT_OF_RANGE';
    // leaf = SHA-256(tag ‖ len(asset) ‖ asset ‖ round ‖ len(id) ‖ id ‖ salt ‖ balance): the proof
    // holds asset, round, id, salt and balance in that order, but with the root hash between
    // round and id, so the input is assembled.
    const leafInput = new Uint8Array(TAG_LEAF.length + 1 + assetLen + 8 + 1 + idLen + 32 + 16);
    let w = 0;
    leafInput.set(TAG_LEAF, w);
    w += TAG_LEAF.length;
    leafInput.set(proof.subarray(1, 2 + assetLen + 8), w);
    w += 1 + assetLen + 8;
    leafInput.set(proof.subarray(leafFieldsStart, leafFieldsStart + 1 + idLen + 32 + 16), w);
    let hash = sha256(leafInput);
    let sum = balance;
    let s = at;
    for (let level = 0; level < depth; level++, s += 48) {
      const siblingSum = u128(view, s + 32);
      if (siblingSum > LEAF_BALANCE_MAX << BigInt(level)) return 'SIBLING_SUM_OUT_OF_RANGE';
      const right = (index >>> level) & 1;
      const mine = right ? TAG_NODE.length + 48 : TAG_NODE.length;
      const theirs = right ? TAG_NODE.length : TAG_NODE.length + 48;
      node.set(hash, mine);
      putU128(node, mine + 32, sum);
      node.set(proof.subarray(s, s + 32), theirs);
      node.set(proof.subarray(s + 32, s + 48), theirs + 32);
      hash = sha256(node);
      sum += siblingSum;
    }
    if (!equal(hash, root.rootHash)) return 'ROOT_MISMATCH';
    if (sum !== root.total) return 'TOTAL_MISMATCH';
    return 'INCLUDED';
  };
}
