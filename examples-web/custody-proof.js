// System 8 demo: a client checks their inclusion in the platform's proof of liabilities.
//
// The page plays two parties. The platform builds a Merkle-sum tree over N clients' BTC balances
// (alice among them) in slices with a progress bar, publishes the signed root, and hands alice her
// proof. Alice (the person this page is for) checks it against the published root with the SDK's
// verifyInclusion, and sees her path up the tree: her leaf, each parent the core recomputed, the
// sibling beside each, the root at the top. Two buttons play a cheating platform: a proof with a
// sibling's sum lowered, and a proof from a private tree whose root was shown only to her. Kept
// across reloads (localStorage): the platform key, the published root, alice's proof, the outcome.

import { actionRunner, byTestId, fieldError, fromHex, loadDemoState, setEnabled, setText, showInitError, toHex } from './demo-kit.js';
const SDK_URL = '/sdk/dist/index.js';

const LS_STATE = 'countersign-custody-proof-demo:state';
const DEMO_STATE_VERSION = 1;
const ME = 'alice';
const MY_BALANCE = 150_000_000n; // 1.5 BTC in satoshi
const SCALE = 8;
const SLICE = 8_192;
const SVG_NS = 'http://www.w3.org/2000/svg';

let sdk;
let demo = fresh();
let outcome = null; // the shown check's outcome: derived, never stored

function fresh() {
  // `clock` only for demo-kit's state check (this page keeps no simulated clock); `lastCheck` names the
  // check whose outcome is shown, redone after a reload (an outcome is never trusted from storage).
  return { clock: 0, round: 0, platformSecret: null, published: null, proof: null, root: null, lastCheck: null, note: '' };
}

/** Client ids in ascending order with alice among them; balances deterministic per round. */
function clientAt(i, n) {
  const mine = Math.floor(n / 3);
  if (i === mine) return { clientId: `client-${String(i).padStart(7, '0')}-${ME}`, balance: MY_BALANCE };
  return { clientId: `client-${String(i).padStart(7, '0')}`, balance: BigInt((i * 7_919 + demo.round * 13) % 250_000_000) };
}
const myIndex = (n) => Math.floor(n / 3);
const myId = (n) => clientAt(myIndex(n), n).clientId;

const btc = (minor) => {
  const s = BigInt(minor).toString().padStart(SCALE + 1, '0');
  return `${s.slice(0, -SCALE)}.${s.slice(-SCALE)} BTC`;
};
const short = (hex) => `${hex.slice(0, 6)}…${hex.slice(-4)}`;

function signer() {
  const secretKey = fromHex(demo.platformSecret);
  return { keyId: 'platform-1', algorithm: 'EdDSA', secretKey };
}
function trusted() {
  return [{ keyId: 'platform-1', algorithm: 'EdDSA', publicKey: sdk.ed25519PublicKey(fromHex(demo.platformSecret)) }];
}
const now = () => Math.floor(Date.now() / 1000);

async function buildTree(n, round, leaveOut = null) {
  const bar = byTestId('build-progress');
  const started = performance.now();
  const ids = leaveOut === null ? null : (i) => (i >= leaveOut ? i + 1 : i);
  const tree = await sdk.LiabilitiesTree.build(
    { asset: 'BTC', round, scale: SCALE, clientCount: n },
    fromHex(demo.platformSecret),
    (start, count) => Array.from({ length: count }, (_, k) => clientAt(ids ? ids(start + k) : start + k, leaveOut === null ? n : n + 1)),
    {
      sliceSize: SLICE,
      onProgress: (p) => {
        bar.value = p.added / p.total;
        setText('build-status', `Building: ${p.added.toLocaleString('en')} of ${p.total.toLocaleString('en')} clients…`);
      },
    },
  );
  return { tree, ms: performance.now() - started };
}

async function publish() {
  demo.note = ''; // a refused or interrupted build leaves no stale "built" line
  const text = byTestId('client-count').value.trim();
  const n = /^[0-9]{1,7}$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < 2 || n > 1_000_000) throw fieldError('client-count', 'must be a whole number of clients from 2 to 1,000,000');
  demo.round += 1;
  demo.platformSecret ??= toHex(crypto.getRandomValues(new Uint8Array(32)));
  const { tree, ms } = await buildTree(n, demo.round);
  try {
    const t = now();
    demo.published = toHex(tree.publish(signer(), t - 5, t + 30 * 86_400));
    demo.proof = toHex(tree.proof(myIndex(n), myId(n)));
    demo.root = tree.publishedRoot();
    demo.lastCheck = null;
    outcome = null;
    demo.note = `Built ${n.toLocaleString('en')} clients in ${Math.round(ms)} ms and published round ${demo.round}.`;
  } finally {
    tree.free();
  }
}

function check(proofHex) {
  const n = demo.root.leafCount;
  return sdk.verifyInclusion(fromHex(proofHex), fromHex(demo.published), {
    trustedKeys: trusted(),
    now: now(),
    clientId: myId(n),
    expectedBalance: MY_BALANCE,
  });
}

function verify() {
  demo.lastCheck = 'verify';
  outcome = check(demo.proof);
}

function tamper() {
  // The platform hands alice a proof whose top sibling claims less: its last 16 bytes are that sum.
  const bytes = fromHex(demo.proof);
  const view = sdk.decodeInclusionProof(bytes);
  const top = BigInt(view.siblingSums[view.siblingSums.length - 1]);
  const lowered = top / 2n;
  for (let k = 0; k < 16; k++) bytes[bytes.length - 1 - k] = Number((lowered >> BigInt(8 * k)) & 0xffn);
  demo.lastCheck = 'tamper';
  outcome = check(toHex(bytes));
}

async function privateRoot() {
  // A tree that leaves the last client out: its root is shown (signed) to alice alone.
  const n = demo.root.leafCount;
  const { tree } = await buildTree(n - 1, demo.round, n - 1);
  try {
    demo.lastCheck = 'private-root';
    outcome = check(toHex(tree.proof(myIndex(n), myId(n))));
  } finally {
    tree.free();
  }
  // The build's progress bar now shows the private tree; put the published state back.
  byTestId('build-progress').value = 1;
}

const EXPLAIN = {
  INCLUDED: 'Your balance is counted in the published total.',
  ROOT_MISMATCH: 'The path does not lead to the published root: the proof was altered.',
  ROOT_NOT_PUBLISHED: 'This proof was made against a root that is not the one published to everyone.',
};

function drawPath() {
  const box = byTestId('path-picture');
  box.replaceChildren();
  if (!outcome || outcome.path.length === 0) return;
  const steps = outcome.path;
  const rowH = 46;
  const w = 640;
  const h = (steps.length + 1) * rowH + 20;
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.setAttribute('class', 'path-picture');
  svg.setAttribute('data-testid', 'path-svg');
  const el = (name, attrs, text) => {
    const e = document.createElementNS(SVG_NS, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    svg.append(e);
    return e;
  };
  const node = (x, y, cls, hash, sum, testId) => {
    const g = el('rect', { x: x - 95, y: y - 16, width: 190, height: 32, rx: 6, class: cls, 'data-testid': testId });
    el('text', { x, y: y - 2, 'text-anchor': 'middle' }, short(hash));
    el('text', { x, y: y + 11, 'text-anchor': 'middle' }, btc(sum));
    return g;
  };
  const yOf = (level) => h - 26 - level * rowH;
  const ok = outcome.code === 'INCLUDED';
  // The root at the top: what the core computed, marked bad when it is not the published root.
  const top = yOf(steps.length);
  node(w / 2, top, ok ? 'root' : 'bad', outcome.computedRootHash, outcome.computedTotal, 'path-root');
  for (const step of steps) {
    const y = yOf(step.level);
    const mineX = step.isRight ? w / 2 + 110 : w / 2 - 110;
    const sibX = step.isRight ? w / 2 - 110 : w / 2 + 110;
    if (step.level + 1 < steps.length) {
      const parentY = yOf(step.level + 1);
      el('line', { x1: mineX, y1: y - 16, x2: w / 2, y2: parentY + 16 });
      el('line', { x1: sibX, y1: y - 16, x2: w / 2, y2: parentY + 16 });
    } else {
      el('line', { x1: mineX, y1: y - 16, x2: w / 2, y2: top + 16 });
      el('line', { x1: sibX, y1: y - 16, x2: w / 2, y2: top + 16 });
    }
    node(mineX, y, 'mine', step.hash, step.sum, 'path-node');
    node(sibX, y, 'sibling', step.siblingHash, step.siblingSum, 'path-sibling');
  }
  // Each pair's lines meet where their parent is: the path's node one row up (or the root).
  box.append(svg);
}

function render() {
  setText('round', demo.round === 0 ? '—' : String(demo.round));
  setText('build-status', demo.note);
  setText('root-asset', demo.root ? demo.root.asset : '—');
  setText('root-hash', demo.root ? demo.root.rootHash : '—');
  setText('root-total', demo.root ? btc(demo.root.total) : '—');
  setText('root-clients', demo.root ? demo.root.leafCount.toLocaleString('en') : '—');
  if (demo.root) byTestId('build-progress').value = 1;
  setText('me', demo.root ? myId(demo.root.leafCount) : ME);
  setText('my-balance', btc(MY_BALANCE));
  const code = byTestId('outcome-code');
  code.textContent = outcome ? outcome.code : '—';
  code.className = `badge ${outcome ? (outcome.code === 'INCLUDED' ? 'ok' : 'bad') : ''}`;
  setText('outcome-explain', outcome ? (EXPLAIN[outcome.code] ?? '') : '');
  drawPath();
  for (const id of ['verify', 'tamper', 'private-root']) setEnabled(id, demo.published !== null);
}

function save() {
  localStorage.setItem(LS_STATE, JSON.stringify({ version: DEMO_STATE_VERSION, ...demo }));
  setText('restore-status', `round ${demo.round} saved`);
}

async function restore() {
  demo = loadDemoState(LS_STATE, DEMO_STATE_VERSION, fresh);
  if (demo.published) {
    // Check again what was shown: the outcome is re-derived from the kept bytes.
    const redo = { verify, tamper, 'private-root': privateRoot }[demo.lastCheck];
    if (redo) await redo();
    setText('restore-status', `restored round ${demo.round}`);
  } else {
    setText('restore-status', 'nothing saved yet');
  }
}

function resetDemo() {
  localStorage.removeItem(LS_STATE);
  demo = fresh();
  outcome = null;
  byTestId('build-progress').value = 0;
}

async function main() {
  try {
    sdk = await import(SDK_URL);
    await sdk.init({ systems: ['custody.liabilities'] });
  } catch (err) {
    showInitError(err);
    return;
  }
  const { action, bind } = actionRunner({ render, afterEach: save });
  const OUTCOME = ['outcome-code', 'outcome-explain'];
  bind('publish', publish, { outcome: ['build-status'] });
  bind('verify', verify, { outcome: OUTCOME });
  bind('tamper', tamper, { outcome: OUTCOME });
  bind('private-root', privateRoot, { outcome: OUTCOME });
  bind('reset-demo', resetDemo);
  action(async () => {
    try {
      await restore();
    } finally {
      const status = byTestId('sdk-status');
      status.dataset.state = 'ready';
      status.textContent = 'ready';
    }
  })();
}

main();
