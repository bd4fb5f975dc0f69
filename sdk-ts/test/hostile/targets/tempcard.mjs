// Hostile-input targets: System 2, the temporary card (tempcardCodes, tempCredentials,
// TempCardIssuer, TemporaryAccount, TempCardStore).
import * as s from '@countersign/sdk';

const hex = (b) => Buffer.from(b).toString('hex');
const NOW = 1_796_895_000; // 2026-12-10 09:30 UTC
const CVV_KEY = new Uint8Array(32).fill(3);
const SNAPSHOT_KEY = new Uint8Array(32).fill(7);
/** Fixed randomness: every receiver's temporary account gets the same PAN, so one set of
 * credentials works against all of them. */
const RANDOMNESS = new Uint8Array(s.TEMPCARD_PAN_RANDOMNESS_BYTES).map((_, i) => (i * 37 + 11) & 0xff);
const CONFIG = { currency: 'EUR', binRange: { low: '45717360', high: '45717369', panLength: 16 } };
const WINDOWS = { displayWindow: { from: NOW, until: NOW + 300 }, usableWindow: { from: NOW, until: NOW + 86_400 } };

const approval = (accountId = 'tmp-1') => ({
  accountId,
  parentAccountId: `parent-${accountId}`,
  approvedLimit: '1500.00',
  limitFraction: '0.2',
  limitCap: '250',
  ...WINDOWS,
  maxUses: 5,
  lockToFirstMerchant: false,
  issuedPans: ['4111111111111111'],
  now: NOW,
});

/** An issuer with one open temporary account `tmp-1` and one approved purchase `a1`. */
function issuer() {
  const i = s.TempCardIssuer.create(CONFIG, { cvvKey: CVV_KEY, now: NOW - 10 });
  i.approve(approval(), RANDOMNESS);
  i.authorise({ ...SHOWN, authorisationId: 'a1', amount: '10.00', currency: 'EUR', merchantId: 'shop-1', now: NOW + 1 });
  return i;
}
let SHOWN;
{
  const first = s.TempCardIssuer.create(CONFIG, { cvvKey: CVV_KEY, now: NOW - 10 });
  first.approve(approval(), RANDOMNESS);
  const { pan, expiry, cvv } = first.reveal('tmp-1', NOW);
  SHOWN = { pan, expiry, cvv };
  first.free();
}
const base = issuer();
const baseSnapshot = base.snapshot(SNAPSHOT_KEY);

/** The issuer's whole state: its snapshot (deterministic), journal head and retained journal. */
const issuerState = (i) => `${hex(i.snapshot(SNAPSHOT_KEY))} ${i.journalHead().seq} ${i.journal().length}`;
const onIssuer = { receiver: issuer, state: issuerState };

const purchase = () => ({ authorisationId: 'x1', ...SHOWN, amount: '5.00', currency: 'EUR', merchantId: 'shop-1', now: NOW + 2 });

// The pure credential functions.
const issueRequest = () => ({ binRange: { ...CONFIG.binRange }, ...WINDOWS, issuedPans: ['4111111111111111'] });
const CREDENTIALS = s.tempCredentials.issue(issueRequest(), RANDOMNESS).credentials;
const credentials = () => ({ ...CREDENTIALS, displayWindow: { ...CREDENTIALS.displayWindow }, usableWindow: { ...CREDENTIALS.usableWindow } });
const CVV = s.tempCredentials.deriveCvv(CVV_KEY, CREDENTIALS.pan, CREDENTIALS.expiresAt);

// Stores: the storage behind each store receiver (a store is frozen), and the issuer it saves.
const behind = new WeakMap();
async function storageState(storage) {
  const stored = await storage.get('tempcard/svc');
  const log = await storage.readLog('tempcard/svc');
  return JSON.stringify([stored && hex(stored.value), stored?.version, log.map((r) => [r.seq, hex(r.record)])]);
}
async function store() {
  const storage = new s.MemoryStorage();
  const st = new s.TempCardStore(storage, SNAPSHOT_KEY);
  const saved = issuer();
  await st.save('svc', saved);
  behind.set(st, { storage, issuer: issuer() });
  saved.free();
  return st;
}
const onStore = {
  receiver: store,
  state: async (st) => `${await storageState(behind.get(st).storage)} ${issuerState(behind.get(st).issuer)}`,
};

const onAccount = {
  receiver: () => issuer().temporaryAccount('tmp-1'),
  state: (account) => `${account.accountId} ${issuerState(account.issuer)}`,
};

export const targets = {
  tempcardCodes: { args: () => [] },

  'tempCredentials.luhnValid': { args: () => ['4111111111111111'] },
  'tempCredentials.luhnCheckDigit': { args: () => ['411111111111111'] },
  'tempCredentials.issue': { args: () => [issueRequest(), RANDOMNESS.slice()] },
  'tempCredentials.deriveCvv': { args: () => [CVV_KEY.slice(), CREDENTIALS.pan, CREDENTIALS.expiresAt] },
  'tempCredentials.verifyCvv': { args: () => [CVV_KEY.slice(), CREDENTIALS.pan, CREDENTIALS.expiresAt, CVV] },
  'tempCredentials.displayStatus': { args: () => [credentials(), NOW + 1] },
  'tempCredentials.usableStatus': { args: () => [credentials(), NOW + 1] },
  'tempCredentials.reveal': { args: () => [credentials(), CVV_KEY.slice(), NOW + 1] },
  'tempCredentials.verifyPresented': {
    args: () => [credentials(), CVV_KEY.slice(), { pan: CREDENTIALS.pan, expiry: CREDENTIALS.expiry, cvv: CVV }, NOW + 1],
  },

  // The constructor is private: every call is refused (the valid one too), with a typed error.
  'new TempCardIssuer': { args: () => [] },
  'TempCardIssuer.create': { args: () => [{ ...CONFIG, binRange: { ...CONFIG.binRange }, settlementAccountId: 'settlement' }, { cvvKey: CVV_KEY.slice(), now: NOW }] },
  'TempCardIssuer.restore': { args: () => [baseSnapshot.slice(), SNAPSHOT_KEY.slice(), CVV_KEY.slice()] },
  'TempCardIssuer#config': { ...onIssuer, args: () => [] },
  'TempCardIssuer#approve': { ...onIssuer, args: () => [approval('tmp-2'), RANDOMNESS.map((b) => b ^ 0x5a)] },
  'TempCardIssuer#authorise': { ...onIssuer, args: () => [purchase()] },
  'TempCardIssuer#refund': {
    ...onIssuer,
    args: () => [{ refundId: 'r1', pan: SHOWN.pan, authorisationId: 'a1', amount: '1.00', currency: 'EUR', now: NOW + 3 }],
  },
  'TempCardIssuer#activatePhysicalCard': { ...onIssuer, args: () => ['tmp-1', NOW + 4] },
  'TempCardIssuer#closeDue': { ...onIssuer, args: () => [NOW + 86_400] },
  'TempCardIssuer#reveal': { ...onIssuer, args: () => ['tmp-1', NOW + 5] },
  'TempCardIssuer#account': { ...onIssuer, args: () => ['tmp-1', NOW + 5] },
  'TempCardIssuer#temporaryAccount': { ...onIssuer, args: () => ['tmp-1'] },
  'TempCardIssuer#accountIds': { ...onIssuer, args: () => [] },
  'TempCardIssuer#ledgerAccount': { ...onIssuer, args: () => ['parent-tmp-1'] },
  'TempCardIssuer#journal': { ...onIssuer, args: () => [] },
  'TempCardIssuer#journalHead': { ...onIssuer, args: () => [] },
  'TempCardIssuer#truncateJournal': { ...onIssuer, args: () => [1] },
  'TempCardIssuer#snapshot': { ...onIssuer, args: () => [SNAPSHOT_KEY.slice()] },
  'TempCardIssuer#copy': { ...onIssuer, args: () => [] },
  'TempCardIssuer#free': { ...onIssuer, args: () => [], consumes: true },
  'TempCardIssuer#[Symbol.dispose]': { ...onIssuer, args: () => [], consumes: true },

  'new TemporaryAccount': { args: () => [base, 'tmp-1'] },
  'TemporaryAccount#view': { ...onAccount, args: () => [NOW + 5] },
  'TemporaryAccount#reveal': { ...onAccount, args: () => [NOW + 5] },
  'TemporaryAccount#displaySecondsLeft': { ...onAccount, args: () => [NOW + 5] },
  'TemporaryAccount#usableSecondsLeft': { ...onAccount, args: () => [NOW + 5] },
  'TemporaryAccount#activatePhysicalCard': { ...onAccount, args: () => [NOW + 5] },

  'new TempCardStore': { args: () => [new s.MemoryStorage(), SNAPSHOT_KEY.slice(), { prefix: 'tc/' }] },
  'TempCardStore#load': { ...onStore, args: () => ['svc', CVV_KEY.slice()] },
  'TempCardStore#save': { ...onStore, argsFor: (st) => ['svc', behind.get(st).issuer] },
};
