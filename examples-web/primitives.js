// Primitives demo: money, keys & signatures, signed envelopes.
// Everything decided here is decided by the countersign WebAssembly core through
// the SDK's browser entry; this file only reads the form and shows the results.

import { actionRunner, byTestId, fieldError, setText, showInitError, toHex, value, wholeNumber } from './demo-kit.js';

const SDK_URL = '/sdk/dist/index.js';

const ROUNDING_NONE = '';
const DEFAULT_CURRENCY = 'EUR';
// How long a freshly sealed demo envelope stays valid, and where "now" starts inside it.
const ENVELOPE_LIFETIME_S = 600;
const OPEN_NOW_OFFSET_S = 60;

const EXPLANATIONS = {
  VALID: 'Authentic under the trusted key, inside its validity window, fresh sequence number, expected type.',
  BAD_SIGNATURE: 'The signature does not match these bytes under the trusted key for this key id: the envelope was altered or signed by someone else.',
  UNKNOWN_KEY: 'The envelope names a key id that is not in the trusted key list, so nothing can vouch for it.',
  EXPIRED: '"now" is past expiresAt (beyond the allowed clock skew): the envelope may no longer be acted on.',
  NOT_YET_VALID: '"now" is before issuedAt (beyond the allowed clock skew): the envelope is not valid yet.',
  REPLAYED: 'seq is not greater than the last accepted seq: this is a replay or a rollback.',
  WRONG_TYPE: 'The envelope is authentic but of another type than the one expected here, so it cannot be reused in this context.',
  MALFORMED: 'The bytes are not a well-formed countersign envelope (COSE_Sign1 over deterministic CBOR).',
};

const utf8 = new TextEncoder();
const utf8Decode = new TextDecoder('utf-8', { fatal: false });

/** Parse hex typed by the user; whitespace is ignored. Throws an error naming the field. */
function fromHex(text, field) {
  const clean = text.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
    throw fieldError(field, 'must be an even number of hex digits (0-9, a-f)', 'INVALID_HEX');
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Unix seconds or a count typed in a field: digits only ("1e3", "-5" and "2.5" are refused here). */
const integerField = (id, options) => wholeNumber(id, options);

/** A sequence-number field as a bigint: digits only. */
function seqField(id, { optional = false } = {}) {
  const raw = value(id);
  if (optional && raw === '') return undefined;
  wholeNumber(id, { max: Number.MAX_SAFE_INTEGER }); // the same refusals, naming the field
  return BigInt(raw);
}

/**
 * Ratios as people type them: "1, 1, 1", "1 1 1", "2;3", "50.0, 50": whole numbers, as bigint.
 * A fraction or a word is refused here, naming the field.
 */
function ratiosField(id) {
  const parts = value(id).split(/[\s,;]+/).filter((part) => part !== '');
  if (parts.length === 0) throw fieldError(id, 'is empty: enter whole numbers, like 1, 1, 1');
  return parts.map((part) => {
    const match = /^(\d+)(?:\.0*)?$/.exec(part);
    if (!match) throw fieldError(id, `must be whole numbers separated by commas, like 1, 1, 1 (“${part}” is not)`);
    return BigInt(match[1]);
  });
}

function describeTime(seconds) {
  const date = new Date(seconds * 1000);
  return Number.isFinite(date.getTime()) ? `${seconds} (${date.toISOString()})` : String(seconds);
}

/** An error of the SDK about an amount, told against the input it came from (two amounts share a parameter name). */
function about(field, fn) {
  try {
    return fn();
  } catch (err) {
    if (err && typeof err === 'object' && err.field === undefined && err.param === 'amount') err.field = field;
    throw err;
  }
}

const { bind } = actionRunner();

function setBadge(id, text, ok) {
  const el = byTestId(id);
  el.textContent = text;
  el.classList.toggle('ok', ok === true);
  el.classList.toggle('bad', ok === false);
}

// ---------------------------------------------------------------------------------------
// (a) money

function setupMoney(sdk) {
  const currencyList = [...sdk.currencies()].sort((a, b) => a.code.localeCompare(b.code));
  for (const id of ['amount-currency', 'add-currency-a', 'add-currency-b', 'split-currency']) {
    const select = byTestId(id);
    for (const info of currencyList) {
      const option = document.createElement('option');
      option.value = info.code;
      option.textContent = `${info.code} (${info.minorUnits})`;
      select.append(option);
    }
    if (currencyList.some((c) => c.code === DEFAULT_CURRENCY)) select.value = DEFAULT_CURRENCY;
  }

  const showCurrencyInfo = () => {
    try {
      const info = sdk.currency(byTestId('amount-currency').value);
      setText(
        'amount-currency-info',
        `${info.code}: ${info.minorUnits} minor unit digit(s), numeric ${info.numeric ?? '—'}, ${info.kind}`,
      );
    } catch (err) {
      setText('amount-currency-info', `${err.code ?? err.name}: ${err.message}`);
    }
  };
  byTestId('amount-currency').addEventListener('change', showCurrencyInfo);
  showCurrencyInfo();

  bind(
    'amount-parse',
    () => {
      for (const id of ['amount-result', 'amount-minor', 'amount-json']) setText(id, '');
      const rounding = byTestId('amount-rounding').value;
      const options = rounding === ROUNDING_NONE ? undefined : { rounding };
      const amount = sdk.Amount.parse(byTestId('amount-value').value, byTestId('amount-currency').value, options);
      setText('amount-result', amount.toString());
      setText('amount-minor', amount.toMinor().toString());
      setText('amount-json', JSON.stringify(amount.toJSON()));
    },
    { errors: 'amount', outcome: ['amount-result', 'amount-minor', 'amount-json'], fields: { amount: 'amount-value', currency: 'amount-currency', rounding: 'amount-rounding' } },
  );

  bind(
    'add-run',
    () => {
      setText('add-result', '');
      const a = about('add-a', () => sdk.Amount.parse(byTestId('add-a').value, byTestId('add-currency-a').value));
      const b = about('add-b', () => sdk.Amount.parse(byTestId('add-b').value, byTestId('add-currency-b').value));
      const sum = a.add(b);
      setText('add-result', `${sum.toString()} ${sum.currency}`);
    },
    { errors: 'add', outcome: ['add-result'] },
  );

  bind(
    'split-run',
    () => {
      const list = byTestId('split-result');
      list.replaceChildren();
      const amount = about('split-value', () => sdk.Amount.parse(byTestId('split-value').value, byTestId('split-currency').value));
      const parts = amount.split(ratiosField('split-ratios'));
      for (const part of parts) {
        const item = document.createElement('li');
        item.dataset.testid = 'split-part';
        item.textContent = `${part.toString()} ${part.currency}`;
        list.append(item);
      }
    },
    { errors: 'split', fields: { ratios: 'split-ratios' } },
  );
}

// ---------------------------------------------------------------------------------------
// (b) keys & signatures

const keyState = { keyPair: null };

function generateKey(sdk) {
  const algorithm = byTestId('key-algorithm').value;
  keyState.keyPair = sdk.generateKeyPair(algorithm);
  setText('key-current-algorithm', algorithm === 'EdDSA' ? 'Ed25519 (EdDSA)' : 'secp256k1 (ES256K)');
  setText('key-secret', toHex(keyState.keyPair.secretKey));
  setText('key-public', toHex(keyState.keyPair.publicKey));
  byTestId('sig-signature').value = '';
  setBadge('sig-verify-result', '', undefined);
  setText('sig-note', '');
  return keyState.keyPair;
}

function requireKey() {
  if (keyState.keyPair) return keyState.keyPair;
  const err = new Error('generate a key pair first');
  err.code = 'NO_KEY';
  throw err;
}

function setupSignatures(sdk) {
  const SIG = { errors: 'sig', fields: { signature: 'sig-signature', message: 'sig-message' } };
  bind('key-generate', () => generateKey(sdk), SIG);

  const messageBytes = () => utf8.encode(byTestId('sig-message').value);
  const ecdsaFormat = () => byTestId('sig-format').value;

  const verifyShown = () => {
    const { algorithm, publicKey } = requireKey();
    const signature = fromHex(byTestId('sig-signature').value, 'sig-signature');
    const valid =
      algorithm === 'EdDSA'
        ? sdk.verifyEd25519(publicKey, messageBytes(), signature)
        : sdk.verifySecp256k1(publicKey, messageBytes(), signature, { format: ecdsaFormat() });
    setBadge('sig-verify-result', String(valid), valid);
    return valid;
  };

  bind(
    'sig-sign',
    () => {
      const { algorithm, secretKey } = requireKey();
      const signature =
        algorithm === 'EdDSA'
          ? sdk.signEd25519(secretKey, messageBytes())
          : sdk.signSecp256k1(secretKey, messageBytes(), { format: ecdsaFormat() });
      byTestId('sig-signature').value = toHex(signature);
      setBadge('sig-verify-result', '', undefined);
      setText('sig-note', `${signature.length}-byte ${algorithm === 'EdDSA' ? 'Ed25519' : `secp256k1 ${ecdsaFormat()}`} signature`);
    },
    SIG,
  );

  bind('sig-verify', verifyShown, { ...SIG, outcome: ['sig-verify-result', 'sig-note'] });

  bind(
    'sig-tamper',
    () => {
      const { algorithm } = requireKey();
      const signature = fromHex(byTestId('sig-signature').value, 'sig-signature');
      if (signature.length === 0) throw Object.assign(new Error('sign a message first'), { code: 'NO_SIGNATURE' });
      // Flip the lowest bit of the scalar's least significant byte: the signature keeps its
      // shape (canonical S for Ed25519, low-S and valid DER for ECDSA), it is just wrong.
      const index = algorithm === 'EdDSA' && signature.length === 64 ? 32 : signature.length - 1;
      const before = signature[index];
      signature[index] ^= 0x01;
      byTestId('sig-signature').value = toHex(signature);
      verifyShown();
      setText('sig-note', `byte ${index} flipped: 0x${before.toString(16).padStart(2, '0')} → 0x${signature[index].toString(16).padStart(2, '0')}`);
    },
    { ...SIG, outcome: ['sig-verify-result', 'sig-note'] },
  );
}

// ---------------------------------------------------------------------------------------
// (c) envelopes

const envelopeState = {
  sealed: null, // { envelope, input (no secret), signer, pristineOpenForm }
  opening: null, // { envelope, trustedKeys } — what "Open" checks, possibly tampered
};

function readSealInput(signer) {
  return {
    type: byTestId('env-type').value,
    version: integerField('env-version', { min: 1 }),
    keyId: byTestId('env-key-id').value,
    seq: seqField('env-seq'),
    issuedAt: integerField('env-issued-at'),
    expiresAt: integerField('env-expires-at'),
    payload: utf8.encode(byTestId('env-payload').value),
    algorithm: signer.algorithm,
    secretKey: signer.secretKey,
  };
}

function setOpenForm({ now, lastSeq, expectedType, skew }) {
  byTestId('env-now').value = String(now);
  byTestId('env-last-seq').value = lastSeq;
  byTestId('env-expected-type').value = expectedType;
  byTestId('env-skew').value = String(skew);
}

function showEnvelope(envelope, note) {
  setText('env-hex', toHex(envelope));
  setText('env-size', `${envelope.length} bytes`);
  setText('env-tamper-note', note);
}

function clearOpenResult() {
  byTestId('env-fields').hidden = true;
  setBadge('env-open-code', '', undefined);
  setText('env-open-explanation', '');
  for (const field of ['type', 'version', 'key-id', 'algorithm', 'seq', 'issued-at', 'expires-at', 'payload', 'payload-hex']) {
    setText(`env-field-${field}`, '');
  }
}

function openCurrent(sdk) {
  clearOpenResult();
  if (!envelopeState.opening) throw Object.assign(new Error('seal an envelope first'), { code: 'NO_ENVELOPE' });
  const options = {
    trustedKeys: envelopeState.opening.trustedKeys,
    now: integerField('env-now'),
    expectedType: byTestId('env-expected-type').value,
    lastSeq: seqField('env-last-seq', { optional: true }),
    maxClockSkewSeconds: integerField('env-skew', { optional: true }),
  };
  const result = sdk.openEnvelope(envelopeState.opening.envelope, options);
  setBadge('env-open-code', result.code, result.ok);
  setText('env-open-explanation', EXPLANATIONS[result.code] ?? '');
  byTestId('env-fields').hidden = !result.ok; // a rejected envelope has no fields to trust
  if (result.ok) {
    setText('env-field-type', result.type);
    setText('env-field-version', String(result.version));
    setText('env-field-key-id', result.keyId);
    setText('env-field-algorithm', result.algorithm);
    setText('env-field-seq', result.seq.toString());
    setText('env-field-issued-at', describeTime(result.issuedAt));
    setText('env-field-expires-at', describeTime(result.expiresAt));
    setText('env-field-payload', utf8Decode.decode(result.payload));
    setText('env-field-payload-hex', toHex(result.payload));
  }
  return result;
}

/** Put back the envelope, trusted keys and open form exactly as they were right after sealing. */
function restorePristine() {
  const { sealed } = envelopeState;
  if (!sealed) throw Object.assign(new Error('seal an envelope first'), { code: 'NO_ENVELOPE' });
  envelopeState.opening = {
    envelope: sealed.envelope.slice(),
    trustedKeys: [{ keyId: sealed.input.keyId, algorithm: sealed.signer.algorithm, publicKey: sealed.signer.publicKey }],
  };
  setOpenForm(sealed.pristineOpenForm);
  showEnvelope(envelopeState.opening.envelope, '');
}

function lastIndexOfBytes(haystack, needle) {
  outer: for (let start = haystack.length - needle.length; start >= 0; start--) {
    for (let i = 0; i < needle.length; i++) if (haystack[start + i] !== needle[i]) continue outer;
    return start;
  }
  return -1;
}

const hexByte = (b) => `0x${b.toString(16).padStart(2, '0')}`;

function flipByte(bytes, index, where) {
  const before = bytes[index];
  bytes[index] ^= 0x01;
  return `byte ${index} of the envelope (${where}) flipped: ${hexByte(before)} → ${hexByte(bytes[index])}`;
}

// Each tamper starts from the pristine envelope, changes exactly one thing, and opens.
const TAMPERS = {
  'tamper-payload': () => {
    const { envelope } = envelopeState.opening;
    const payload = envelopeState.sealed.input.payload;
    // COSE_Sign1 is [protected, unprotected, payload, signature]: the payload bytes appear
    // verbatim after the headers, so the last occurrence is the payload itself.
    const at = payload.length > 0 ? lastIndexOfBytes(envelope, payload) : -1;
    if (at < 0) throw Object.assign(new Error('payload bytes not found in the envelope; use a non-empty payload'), { code: 'NO_PAYLOAD' });
    return flipByte(envelope, at, 'first payload byte');
  },
  'tamper-signature': () => {
    const { envelope } = envelopeState.opening;
    // The COSE signature is the last element: a 64-byte bstr (Ed25519 R‖S, ECDSA r‖s).
    // Flip the low bit of the scalar's least significant byte so the signature stays
    // well-formed (canonical / low-S) and is simply wrong.
    const sigStart = envelope.length - 64;
    const index = envelopeState.sealed.signer.algorithm === 'EdDSA' ? sigStart + 32 : envelope.length - 1;
    return flipByte(envelope, index, 'signature');
  },
  'tamper-untrusted-key': (sdk) => {
    const { input, signer } = envelopeState.sealed;
    const intruder = sdk.generateKeyPair(signer.algorithm);
    const keyId = `${input.keyId}.intruder`;
    envelopeState.opening.envelope = sdk.sealEnvelope({ ...input, keyId, algorithm: intruder.algorithm, secretKey: intruder.secretKey });
    return `re-sealed by a fresh key under key id "${keyId}", which the verifier does not trust`;
  },
  'tamper-swapped-key': (sdk) => {
    const { input, signer } = envelopeState.sealed;
    const intruder = sdk.generateKeyPair(signer.algorithm);
    envelopeState.opening.envelope = sdk.sealEnvelope({ ...input, algorithm: intruder.algorithm, secretKey: intruder.secretKey });
    return `re-sealed by a fresh key claiming the trusted key id "${input.keyId}"`;
  },
  'tamper-expired': () => {
    const skew = integerField('env-skew', { optional: true }) ?? 0;
    const now = envelopeState.sealed.input.expiresAt + skew + 1;
    byTestId('env-now').value = String(now);
    return `now set to ${now}: 1 s past expiresAt + skew`;
  },
  'tamper-not-yet-valid': () => {
    const skew = integerField('env-skew', { optional: true }) ?? 0;
    const now = envelopeState.sealed.input.issuedAt - skew - 1;
    byTestId('env-now').value = String(now);
    return `now set to ${now}: 1 s before issuedAt − skew`;
  },
  'tamper-replay': () => {
    const seq = envelopeState.sealed.input.seq;
    byTestId('env-last-seq').value = seq.toString();
    return `last accepted seq set to ${seq}, the envelope's own seq`;
  },
  'tamper-type': () => {
    const other = `${envelopeState.sealed.input.type}.other`;
    byTestId('env-expected-type').value = other;
    return `expected type set to "${other}"`;
  },
};

function setupEnvelopes(sdk) {
  const issuedAt = Math.floor(Date.now() / 1000);
  byTestId('env-issued-at').value = String(issuedAt);
  byTestId('env-expires-at').value = String(issuedAt + ENVELOPE_LIFETIME_S);

  const openButtons = ['env-open', 'env-reset', ...Object.keys(TAMPERS)].map(byTestId);

  const SEAL_FIELDS = {
    type: 'env-type',
    version: 'env-version',
    keyId: 'env-key-id',
    seq: 'env-seq',
    issuedAt: 'env-issued-at',
    expiresAt: 'env-expires-at',
    payload: 'env-payload',
  };
  const OPEN = {
    errors: 'env-open',
    outcome: ['env-open-code', 'env-open-explanation'],
    fields: { now: 'env-now', lastSeq: 'env-last-seq', expectedType: 'env-expected-type', maxClockSkewSeconds: 'env-skew' },
  };
  bind(
    'env-seal',
    () => {
      clearOpenResult();
      const signer = keyState.keyPair ?? generateKey(sdk);
      const input = readSealInput(signer);
      const envelope = sdk.sealEnvelope(input);
      const { secretKey: _secret, ...publicInput } = input;
      const now = Number.isFinite(input.issuedAt) ? input.issuedAt + OPEN_NOW_OFFSET_S : '';
      envelopeState.sealed = {
        envelope,
        input: publicInput,
        signer: { algorithm: signer.algorithm, publicKey: signer.publicKey, secretKey: signer.secretKey },
        pristineOpenForm: { now, lastSeq: '', expectedType: input.type, skew: byTestId('env-skew').value.trim() || '0' },
      };
      setText('env-signer', `${signer.algorithm} key ${toHex(signer.publicKey)}`);
      restorePristine();
      for (const button of openButtons) button.disabled = false;
      openCurrent(sdk);
    },
    { errors: 'env-seal', outcome: ['env-open-code', 'env-open-explanation'], fields: SEAL_FIELDS },
  );

  bind('env-open', () => openCurrent(sdk), OPEN);
  bind(
    'env-reset',
    () => {
      restorePristine();
      openCurrent(sdk);
    },
    OPEN,
  );

  for (const [testId, tamper] of Object.entries(TAMPERS)) {
    bind(
      testId,
      () => {
        restorePristine();
        const note = tamper(sdk);
        showEnvelope(envelopeState.opening.envelope, note);
        openCurrent(sdk);
      },
      OPEN,
    );
  }
}

// ---------------------------------------------------------------------------------------

async function main() {
  let sdk;
  try {
    sdk = await import(SDK_URL);
    await sdk.init({ system: 'primitives' });
  } catch (err) {
    showInitError(err);
    return;
  }
  setupMoney(sdk);
  setupSignatures(sdk);
  setupEnvelopes(sdk);
  const alwaysEnabled = ['amount-parse', 'add-run', 'split-run', 'key-generate', 'sig-sign', 'sig-verify', 'sig-tamper', 'env-seal'];
  for (const id of alwaysEnabled) byTestId(id).disabled = false;
  const status = byTestId('sdk-status');
  status.dataset.state = 'ready';
  status.textContent = 'ready';
}

main();
