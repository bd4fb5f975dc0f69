// Hostile-input targets: loading, money, signatures, envelopes, time-zone data.
import * as s from '@countersign/sdk';

const ed = s.keyPairFromSecret('EdDSA', new Uint8Array(32).fill(3));
const k1 = s.keyPairFromSecret('ES256K', new Uint8Array(32).fill(4));
const msg = () => new TextEncoder().encode('hostile');
const edSig = s.signEd25519(ed.secretKey, msg());
const k1Sig = s.signSecp256k1(k1.secretKey, msg());
const sealInput = () => ({
  type: 't.x', version: 1, keyId: 'a', seq: 5n, issuedAt: 0, expiresAt: 9,
  payload: new Uint8Array([1, 2]), algorithm: 'EdDSA', secretKey: ed.secretKey.slice(),
});
const envelope = s.sealEnvelope(sealInput());
const openOptions = () => ({
  trustedKeys: [{ keyId: 'a', algorithm: 'EdDSA', publicKey: ed.publicKey.slice() }],
  now: 1, expectedType: 't.x', lastSeq: 4n, maxClockSkewSeconds: 0,
});
const eur = (v) => s.Amount.parse(v, 'EUR');
const amount = {
  receiver: () => eur('10.00'),
  state: (a) => `${a.toString()} ${a.currency}`,
};

export const targets = {
  init: { args: () => [{ system: 'all' }] },
  isInitialized: { args: () => [] },
  loadedModule: { args: () => [] },

  currency: { args: () => ['EUR'] },
  currencies: { args: () => [] },
  'new Amount': { args: () => ['1.00', 'EUR'] },
  'Amount.parse': { args: () => ['12.345', 'EUR', { rounding: 'half-even' }] },
  'Amount.fromMinor': { args: () => [1234n, 'EUR'] },
  'Amount.zero': { args: () => ['JPY'] },
  'Amount#add': { ...amount, args: () => [eur('0.01')] },
  'Amount#sub': { ...amount, args: () => [eur('0.01')] },
  'Amount#mul': { ...amount, args: () => ['1.5', 'half-up'] },
  'Amount#compare': { ...amount, args: () => [eur('3.00')] },
  'Amount#equals': { ...amount, args: () => [eur('10.00')] },
  'Amount#isZero': { ...amount, args: () => [] },
  'Amount#isNegative': { ...amount, args: () => [] },
  'Amount#split': { ...amount, args: () => [[1, 2n, 3]] },
  'Amount#toMinor': { ...amount, args: () => [] },
  'Amount#toString': { ...amount, args: () => [] },
  'Amount#toJSON': { ...amount, args: () => [] },

  sha256: { args: () => [msg()] },
  hmacSha256: { args: () => [new Uint8Array(32).fill(1), msg()] },
  constantTimeEqual: { args: () => [msg(), msg()] },
  generateKeyPair: { args: () => ['ES256K'] },
  keyPairFromSecret: { args: () => ['EdDSA', new Uint8Array(32).fill(5)] },
  ed25519PublicKey: { args: () => [new Uint8Array(32).fill(5)] },
  secp256k1PublicKey: { args: () => [new Uint8Array(32).fill(5), { compressed: false }] },
  signEd25519: { args: () => [ed.secretKey.slice(), msg()] },
  verifyEd25519: { args: () => [ed.publicKey.slice(), msg(), edSig.slice()] },
  verifyEd25519Batch: { args: () => [[{ publicKey: ed.publicKey.slice(), message: msg(), signature: edSig.slice() }, { publicKey: ed.publicKey.slice(), message: new Uint8Array(0), signature: edSig.slice() }]] },
  signSecp256k1: { args: () => [k1.secretKey.slice(), msg(), { format: 'compact' }] },
  verifySecp256k1: { args: () => [k1.publicKey.slice(), msg(), k1Sig.slice(), { format: 'der', allowHighS: false }] },
  normalizeSecp256k1Signature: { args: () => [k1Sig.slice(), { format: 'der' }] },

  sealEnvelope: { args: () => [sealInput()] },
  openEnvelope: { args: () => [envelope.slice(), openOptions()] },

  // The base URL is set back to the default by every valid call; hostile ones must not change it.
  setTimeZoneBaseUrl: { args: () => [null], after: () => s.setTimeZoneBaseUrl(null) },
  loadTimeZone: { args: () => ['Europe/Paris'] },
  loadTimeZoneSync: { args: () => ['America/New_York'] },
  loadTimeZoneIndex: { args: () => [] },
  loadTimeZoneIndexSync: { args: () => [] },
};
