// Each custody event crosses into wasm as its fields, one glue argument each, in the order of the
// core's flat request type (sdk-ts/src/custody.ts `REQUESTS`, wasm/src/custody_book.rs): two
// fields swapped there would be decided silently as each other (a transfer's payer as its payee,
// a fee as an amount). The core names the field it refuses, so this test makes every field of
// every event kind malformed in turn, the others valid, and requires the refusal to name exactly
// that field (and the book to be unchanged); `confirmations` and the approval's `envelope`, which
// have no malformed string form, are checked by what they decide. The configuration crosses as
// the core's CBOR, written by the SDK: it comes back as given, and a malformed field is named.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CustodyBook, custodyAddressOf, custodyTransferWallet, ed25519PublicKey, secp256k1PublicKey } from '@countersign/sdk';
import { decodeBookConfig, encodeBookConfig } from '../dist/custody-config.js';
import { wasm } from '../dist/loader.js';

const T0 = 1_800_000_000;
const wallets = [0, 1, 2].map((i) => custodyTransferWallet(new Uint8Array(32).fill(5), i).address);
const omnibus = custodyAddressOf(secp256k1PublicKey(new Uint8Array(32).fill(0x11), { compressed: true }));
const CONFIG = {
  assets: [
    { asset: 'BTC', confirmations: 2, sweepThreshold: '0.0001', clientLimits: [], assetLimits: [] },
    { asset: 'USDC', confirmations: 1, sweepThreshold: '1', clientLimits: [], assetLimits: [] },
  ],
  omnibusAddress: omnibus,
  approvers: [{ approverId: 'a0', publicKey: ed25519PublicKey(new Uint8Array(32).fill(9)) }],
  quorum: 1,
  coolingOffS: 0,
};

/** A valid request of every kind (each field a value of its own). */
const VALID = {
  registerClient: { clientId: 'c9', address: wallets[2], now: T0 },
  observeDeposit: { depositId: 'd9', address: wallets[0], asset: 'BTC', amount: '1', confirmations: 1, now: T0 },
  releaseQuarantine: { depositId: 'd9', clientId: 'c0', now: T0 },
  sweep: { sweepId: 's9', clientId: 'c0', asset: 'BTC', networkFee: '0', now: T0 },
  transfer: { transferId: 't9', fromClientId: 'c0', toClientId: 'c1', asset: 'BTC', amount: '1', now: T0 },
  trade: { tradeId: 'x9', buyerId: 'c0', sellerId: 'c1', baseAsset: 'BTC', baseAmount: '1', quoteAsset: 'USDC', quoteAmount: '1', fee: '0', now: T0 },
  observeOmnibus: { asset: 'BTC', balance: '1', now: T0 },
  observeWallet: { clientId: 'c0', asset: 'BTC', balance: '1', now: T0 },
  addDestination: { clientId: 'c0', address: wallets[1], now: T0 },
  requestWithdrawal: { withdrawalId: 'w9', clientId: 'c0', asset: 'BTC', amount: '1', networkFee: '0', destination: wallets[1], now: T0 },
  approve: { withdrawalId: 'w9', envelope: new Uint8Array(10), now: T0 },
  confirmWithdrawal: { withdrawalId: 'w9', now: T0 },
  cancelWithdrawal: { withdrawalId: 'w9', now: T0 },
};
const MONEY = new Set(['amount', 'networkFee', 'baseAmount', 'quoteAmount', 'fee', 'balance']);
const ASSETS = new Set(['asset', 'baseAsset', 'quoteAsset']);

/** A value of the right type the core refuses in `field`, with the code it refuses it with. */
function malformed(field) {
  if (field === 'now') return [99_999_999_999_999, 'INVALID_ARGUMENT']; // past the core's time range
  if (MONEY.has(field)) return ['1.2.3', 'AMOUNT_SYNTAX'];
  if (ASSETS.has(field)) return ['bad id!', 'CURRENCY_UNKNOWN'];
  return ['bad id!', 'INVALID_ARGUMENT']; // ids and addresses
}

function book() {
  const b = CustodyBook.create(CONFIG);
  b.registerClient({ clientId: 'c0', address: wallets[0], now: T0 });
  b.registerClient({ clientId: 'c1', address: wallets[1], now: T0 });
  return b;
}

test('every field of every event reaches the core as itself: a malformed one is refused naming it', () => {
  let checked = 0;
  for (const [kind, request] of Object.entries(VALID)) {
    for (const field of Object.keys(request)) {
      if (field === 'confirmations' || field === 'envelope') continue;
      const [value, code] = malformed(field);
      const b = book();
      try {
        assert.throws(
          () => b[kind]({ ...request, [field]: value }),
          (e) => e.code === code && e.param === field,
          `${kind}: a malformed ${field} is refused naming ${field}`,
        );
        assert.equal(b.eventCount, 2, `${kind}.${field}: nothing decided`);
        checked++;
      } finally {
        b.free();
      }
    }
  }
  assert.equal(checked, 54);
});

test('confirmations and the envelope reach the core as themselves', () => {
  const b = book();
  try {
    const deposit = VALID.observeDeposit;
    assert.equal(b.observeDeposit({ ...deposit, confirmations: 1 }).code, 'DEPOSIT_PENDING');
    assert.equal(b.observeDeposit({ ...deposit, confirmations: 2 }).code, 'DEPOSIT_CONFIRMED');
    assert.equal(b.walletBalance('c0', 'BTC'), '1.00000000');
    // An envelope that is not one: the approval's own refusal, not a refusal of its other fields.
    assert.equal(b.addDestination({ clientId: 'c0', address: wallets[2], now: T0 }).code, 'DESTINATION_ADDED');
    b.sweep({ sweepId: 's1', clientId: 'c0', asset: 'BTC', networkFee: '0', now: T0 });
    assert.equal(b.requestWithdrawal({ withdrawalId: 'w1', clientId: 'c0', asset: 'BTC', amount: '0.5', networkFee: '0.1', destination: wallets[2], now: T0 + 1 }).code, 'WITHDRAWAL_REQUESTED');
    // The amount and the fee each where they belong: 1 − 0.5 − 0.1 left.
    assert.equal(b.tradingBalance('c0', 'BTC'), '0.40000000');
    assert.equal(b.approve({ withdrawalId: 'w1', envelope: new Uint8Array(10), now: T0 + 2 }).code, 'MALFORMED');
  } finally {
    b.free();
  }
});

// The configuration crosses as the core's CBOR, written by the SDK after checking each field's
// type (sdk-ts/src/custody-config.ts: the module has no reader of the object), and comes back
// the same way (`config()`).
const EVERY_LIMIT = [
  { id: 'per-tx', measure: 'amount', currency: 'BTC', window: { kind: 'perTransaction' }, hard: '0.5', resettable: false },
  { id: 'life', measure: 'count', window: { kind: 'lifetime' }, hard: '100', soft: '90', ceiling: '200', resettable: true },
  { id: 'trail', measure: 'amount', currency: 'BTC', window: { kind: 'trailing', seconds: 86_400 }, hard: '2', soft: '1.5', resettable: false },
  { id: 'day', measure: 'count', window: { kind: 'day', timeZone: 'Europe/Paris' }, hard: '3', resettable: false },
  { id: 'week', measure: 'count', window: { kind: 'week', start: 'sunday', timeZone: 'UTC' }, hard: '4', resettable: false },
  { id: 'month', measure: 'count', window: { kind: 'month', anchorDay: 31, timeZone: 'UTC' }, hard: '5', resettable: false },
  { id: 'year', measure: 'count', window: { kind: 'year', timeZone: 'UTC' }, hard: '6', resettable: false },
];
const FULL_CONFIG = {
  ...CONFIG,
  assets: [{ ...CONFIG.assets[0], clientLimits: EVERY_LIMIT, assetLimits: structuredClone(EVERY_LIMIT.slice(0, 2)) }, CONFIG.assets[1]],
  quorum: 1,
  coolingOffS: 600,
};

test('the configuration crosses as the core\'s own encoding and comes back as given, every window and optional field', () => {
  const b = CustodyBook.create(FULL_CONFIG);
  assert.deepEqual(b.config(), FULL_CONFIG);
  assert.ok(b.config().approvers[0].publicKey instanceof Uint8Array);
  // Absent options stay absent, an absent `resettable` comes back false.
  const { resettable: _, ...bare } = EVERY_LIMIT[3];
  const minimal = CustodyBook.create({ ...CONFIG, assets: [{ ...CONFIG.assets[0], clientLimits: [bare] }] });
  assert.deepEqual(minimal.config().assets[0].clientLimits, [EVERY_LIMIT[3]]);
  // The SDK writes exactly the bytes the core writes for the configuration it read.
  const bytes = encodeBookConfig(FULL_CONFIG);
  const handle = new (wasm('custody.book').CustodyBookHandle)(bytes);
  assert.deepEqual(handle.configCbor(), bytes);
  handle.free();
  assert.deepEqual(decodeBookConfig(bytes), FULL_CONFIG);
  // A week from Sunday is [4, 7, "UTC"] (ISO numbering, core/src/limits/codec.rs), not [4, 6, …].
  const week = [0x83, 0x04, 0x07, 0x63, ...new TextEncoder().encode('UTC')];
  assert.ok(bytes.some((_, i) => week.every((x, j) => bytes[i + j] === x)), 'the week window as the codec writes it');
  for (const book of [b, minimal]) book.free();
});

test('a configuration field of the wrong type, unknown, missing or out of range is refused naming it', () => {
  const cases = [
    [(c) => { c.assets[0].confirmations = '2'; }, 'INVALID_TYPE', 'config.assets[0].confirmations'],
    [(c) => { c.quorum = -1; }, 'INVALID_ARGUMENT', 'config.quorum'],
    [(c) => { c.coolingOffS = 2 ** 32; }, 'INVALID_ARGUMENT', 'config.coolingOffS'],
    [(c) => { delete c.omnibusAddress; }, 'INVALID_TYPE', 'config.omnibusAddress'],
    [(c) => { c.extra = 1; }, 'INVALID_TYPE', 'config.extra'],
    [(c) => { c.assets[0].clientLimits[1].extra = 1; }, 'INVALID_TYPE', 'config.assets[0].clientLimits[1].extra'],
    [(c) => { c.assets[0].clientLimits[4].window = { kind: 'week', timeZone: 'UTC' }; }, 'INVALID_TYPE', 'config.assets[0].clientLimits[4].window'],
    [(c) => { c.assets[0].clientLimits[0].window = { kind: 'perTransaction', seconds: 5 }; }, 'INVALID_TYPE', 'config.assets[0].clientLimits[0].window'],
    [(c) => { c.assets[0].clientLimits[4].window.start = 'mon'; }, 'INVALID_ARGUMENT', 'config.assets[0].clientLimits[4].window.start'],
    [(c) => { c.assets[0].clientLimits[5].window.anchorDay = 256; }, 'INVALID_ARGUMENT', 'config.assets[0].clientLimits[5].window.anchorDay'],
    [(c) => { c.assets[0].clientLimits[2].window.seconds = 1.5; }, 'INVALID_ARGUMENT', 'config.assets[0].clientLimits[2].window.seconds'],
    [(c) => { c.assets[0].assetLimits[0].measure = 'x'; }, 'INVALID_ARGUMENT', 'config.assets[0].assetLimits[0].measure'],
    [(c) => { c.assets[0].assetLimits[1].resettable = null; }, 'INVALID_TYPE', 'config.assets[0].assetLimits[1].resettable'],
    [(c) => { c.assets[0].assetLimits[1].soft = 9; }, 'INVALID_TYPE', 'config.assets[0].assetLimits[1].soft'],
    [(c) => { c.approvers[0].publicKey = [...c.approvers[0].publicKey]; }, 'INVALID_TYPE', 'config.approvers[0].publicKey'],
    [(c) => { c.assets = {}; }, 'INVALID_TYPE', 'config.assets'],
    [(c) => { c.assets = Array(257).fill(c.assets[1]); }, 'INVALID_ARGUMENT', 'config.assets'],
    // Counts and values are the core's to refuse, with its own names (Book::new).
    [(c) => { c.assets = Array(5).fill(c.assets[1]); }, 'INVALID_ARGUMENT', 'assets'],
    [(c) => { c.approvers = []; }, 'INVALID_ARGUMENT', 'approvers'],
  ];
  for (const [edit, code, param] of cases) {
    const config = structuredClone(FULL_CONFIG);
    edit(config);
    assert.throws(() => CustodyBook.create(config), (e) => e.code === code && e.param === param, `${param}: ${code}`);
  }
});
