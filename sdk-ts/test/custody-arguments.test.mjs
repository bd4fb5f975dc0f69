// Each custody event crosses into wasm as its fields, one glue argument each, in the order of the
// core's flat request type (sdk-ts/src/custody.ts `REQUESTS`, wasm/src/custody_book.rs): two
// fields swapped there would be decided silently as each other (a transfer's payer as its payee,
// a fee as an amount). The core names the field it refuses, so this test makes every field of
// every event kind malformed in turn, the others valid, and requires the refusal to name exactly
// that field (and the book to be unchanged); `confirmations` and the approval's `envelope`, which
// have no malformed string form, are checked by what they decide.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CustodyBook, custodyAddressOf, custodyTransferWallet, ed25519PublicKey, secp256k1PublicKey } from '@countersign/sdk';

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
