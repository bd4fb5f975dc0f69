// Hostile-input targets: System 6, offline e-cash (EcashCard, EcashMerchant, EcashBackend, the
// double-spend proof check and the simulator).
import * as s from '@countersign/sdk';

const hex = (b) => Buffer.from(b).toString('hex');
const T0 = 1_700_000_000;
const KEY = new Uint8Array(32).fill(9);
const ISSUER_SK = new Uint8Array(32).fill(7);
const SIGNER = { keyId: 'issuer-1', secretKey: ISSUER_SK };
const ISSUER = { keyId: 'issuer-1', publicKey: s.ed25519PublicKey(ISSUER_SK) };
const POLICY = { limits: { singleMax: '5000', cumulativeMax: '20000', countMax: 10 }, validityS: 86400, counterWindow: 100, velocity: { windowS: 3600, countMax: 8, amountMax: '30000' } };
const SK0 = new Uint8Array(32).fill(1);
const SK1 = new Uint8Array(32).fill(2);

const setupBackend = s.EcashBackend.create(POLICY);
const SEC0 = setupBackend.register(SIGNER, 'card-0', s.ed25519PublicKey(SK0), '10000', T0);
const SEC1 = setupBackend.register(SIGNER, 'card-1', s.ed25519PublicKey(SK1), '10000', T0);
const backendSnapshot = setupBackend.snapshot(KEY);
const card1 = s.EcashCard.create('card-1', SK1, ISSUER, SEC1, T0);
const PAYMENT_TO_0 = card1.pay('card-0', '300', T0 + 1).payment;
const card1b = s.EcashCard.create('card-1', SK1, ISSUER, SEC1, T0);
const PAYMENT_TO_SHOP = card1b.pay('shop-a', '200', T0 + 1).payment;
const card0 = () => s.EcashCard.create('card-0', SK0, ISSUER, SEC0, T0);
const baseCardSnapshot = card0().snapshot(KEY);
const REQUEST0 = card0().syncRequest(T0 + 5);
const shopFork = s.EcashCard.create('card-1', SK1, ISSUER, SEC1, T0);
const FORK = shopFork.pay('shop-b', '200', T0 + 1).payment;
const m = s.EcashMerchant.create('shop-a', ISSUER);
m.receive(PAYMENT_TO_SHOP, T0 + 1);
const RECORDS = m.takeDeposit();
const proofBackend = s.EcashBackend.restore(backendSnapshot, KEY);
proofBackend.deposit('shop-a', RECORDS);
const mb = s.EcashMerchant.create('shop-b', ISSUER);
mb.receive(FORK, T0 + 1);
const PROOF = proofBackend.deposit('shop-b', mb.takeDeposit()).findings[0].evidence.proof;

const onCard = { receiver: card0, state: (c) => hex(c.snapshot(KEY)) };
const onMerchant = { receiver: () => s.EcashMerchant.create('shop-a', ISSUER), state: (x) => String(x.held()) };
const onBackend = { receiver: () => s.EcashBackend.restore(backendSnapshot, KEY), state: (b) => hex(b.snapshot(KEY)) };
const SIM = {
  seed: 1, cards: 4, merchants: 2, steps: 3, stepS: 600, offlineSteps: 2, payPercent: 50, openingBalance: '5000',
  limits: { singleMax: '500', cumulativeMax: '2000', countMax: 5 }, validityS: 86400, attacks: [{ kind: 'clone', card: 1, step: 0 }],
};

const stores = new WeakMap(); // store -> { storage, card, backend }
async function store() {
  const storage = new s.MemoryStorage();
  const st = new s.EcashStore(storage, KEY);
  const card = card0();
  const backend = s.EcashBackend.restore(backendSnapshot, KEY);
  await st.saveCard(card);
  await st.saveBackend('main', backend);
  card.pay('shop-a', '10', T0 + 2);
  stores.set(st, { storage, card, backend });
  return st;
}
async function storeState(st) {
  const { storage, card } = stores.get(st);
  const keys = await storage.list('');
  const values = await Promise.all(keys.map(async (k) => { const v = await storage.get(k); return `${k}:${v.version}:${hex(v.value)}`; }));
  return `${values.join(' ')} ${hex(card.snapshot(KEY))}`;
}

export const targets = {
  'new EcashCard': { args: () => [] },
  'EcashCard.create': { args: () => ['card-0', SK0.slice(), { ...ISSUER, publicKey: ISSUER.publicKey.slice() }, SEC0.slice(), T0] },
  'EcashCard.restore': { args: () => [baseCardSnapshot.slice(), KEY.slice()] },
  'EcashCard#pay': { ...onCard, args: () => ['shop-a', '100', T0 + 2] },
  'EcashCard#receive': { ...onCard, args: () => [PAYMENT_TO_0.slice(), T0 + 2] },
  'EcashCard#confirm': { ...onCard, args: () => [new Uint8Array(32)] },
  'EcashCard#reservedPayment': { ...onCard, args: () => [] },
  'EcashCard#syncRequest': { ...onCard, args: () => [T0 + 3] },
  'EcashCard#accept': { ...onCard, args: () => [SEC0.slice(), T0 + 3] },
  'EcashCard#view': { ...onCard, args: () => [] },
  'EcashCard#snapshot': { ...onCard, args: () => [KEY.slice()] },
  'EcashCard#free': { ...onCard, args: () => [], consumes: true },
  'EcashCard#[Symbol.dispose]': { ...onCard, args: () => [], consumes: true },

  'new EcashMerchant': { args: () => [] },
  'EcashMerchant.create': { args: () => ['shop-a', { ...ISSUER, publicKey: ISSUER.publicKey.slice() }] },
  'EcashMerchant#receive': { ...onMerchant, args: () => [PAYMENT_TO_SHOP.slice(), T0 + 2] },
  'EcashMerchant#takeDeposit': { ...onMerchant, args: () => [] },
  'EcashMerchant#setBlocklist': { ...onMerchant, args: () => [['card-9']] },
  'EcashMerchant#held': { ...onMerchant, args: () => [] },
  'EcashMerchant#free': { ...onMerchant, args: () => [], consumes: true },
  'EcashMerchant#[Symbol.dispose]': { ...onMerchant, args: () => [], consumes: true },

  'new EcashBackend': { args: () => [] },
  'EcashBackend.create': { args: () => [structuredClone(POLICY)] },
  'EcashBackend.restore': { args: () => [backendSnapshot.slice(), KEY.slice()] },
  'EcashBackend#register': { ...onBackend, args: () => [{ ...SIGNER, secretKey: ISSUER_SK.slice() }, 'card-7', s.ed25519PublicKey(SK1), '100', T0 + 1] },
  'EcashBackend#sync': { ...onBackend, args: () => [{ ...SIGNER, secretKey: ISSUER_SK.slice() }, REQUEST0.slice(), T0 + 6] },
  'EcashBackend#deposit': { ...onBackend, args: () => ['shop-a', RECORDS.map((r) => r.slice())] },
  'EcashBackend#balance': { ...onBackend, args: () => ['card-0'] },
  'EcashBackend#status': { ...onBackend, args: () => ['card-0'] },
  'EcashBackend#merchantBalance': { ...onBackend, args: () => ['shop-a'] },
  'EcashBackend#blocklist': { ...onBackend, args: () => [] },
  'EcashBackend#total': { ...onBackend, args: () => [] },
  'EcashBackend#absorbed': { ...onBackend, args: () => [] },
  'EcashBackend#revision': { ...onBackend, args: () => [] },
  'EcashBackend#snapshot': { ...onBackend, args: () => [KEY.slice()] },
  'EcashBackend#free': { ...onBackend, args: () => [], consumes: true },
  'EcashBackend#[Symbol.dispose]': { ...onBackend, args: () => [], consumes: true },

  'new EcashStore': { args: () => [new s.MemoryStorage(), KEY.slice(), { prefix: 'e/' }] },
  'EcashStore#loadCard': { receiver: store, state: storeState, args: () => ['card-0'] },
  'EcashStore#saveCard': { receiver: store, state: storeState, argsFor: (st) => [stores.get(st).card] },
  'EcashStore#loadBackend': { receiver: store, state: storeState, args: () => ['main'] },
  'EcashStore#saveBackend': { receiver: store, state: storeState, argsFor: (st) => ['main', stores.get(st).backend] },

  ecashVerifyDoubleSpend: { args: () => [PROOF.slice(), s.ed25519PublicKey(SK1)] },
  ecashSimulate: { args: () => [structuredClone(SIM)] },
};
