// What the bundled pages check, run the same way in Node against the same packed package: an
// RFC 8032 signature (and a tampered copy), and the README's System 1 card payment.
// Results are plain JSON (no keys, nothing random) so the page's and Node's can be compared.

// RFC 8032 §7.1, TEST 1 (empty message): independent of this project.
const RFC8032_TEST1 = {
  publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  message: '',
  signature:
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
};

const hex = (s) => Uint8Array.from((s.match(/../g) ?? []).map((b) => parseInt(b, 16)));

export function signatureChecks(sdk) {
  const publicKey = hex(RFC8032_TEST1.publicKey);
  const message = hex(RFC8032_TEST1.message);
  const signature = hex(RFC8032_TEST1.signature);
  const tampered = signature.slice();
  tampered[32] ^= 0x01; // inside S's least significant byte: still canonical, just wrong
  const keys = sdk.generateKeyPair('EdDSA');
  const ours = new TextEncoder().encode('signed inside a Vite bundle');
  const ourSignature = sdk.signEd25519(keys.secretKey, ours);
  return {
    rfc8032: sdk.verifyEd25519(publicKey, message, signature),
    rfc8032Tampered: sdk.verifyEd25519(publicKey, message, tampered),
    signedHere: sdk.verifyEd25519(keys.publicKey, ours, ourSignature),
    signedHereOtherMessage: sdk.verifyEd25519(keys.publicKey, new TextEncoder().encode('something else'), ourSignature),
  };
}

/** The README's System 1 example: provision a card, authorise payments, apply an app command. */
export async function cardChecks(sdk) {
  const { Issuer, CompanionApp, Card } = sdk;
  const now = 1767225600; // 2026-01-01T00:00:00Z
  const issuer = Issuer.generate('issuer-1');
  const app = CompanionApp.generate('card-0001', 'app-1');
  const card = Card.create('card-0001', issuer.publicKey);
  const day = { kind: 'day', timeZone: 'Europe/Paris' };
  const config = await card.applyConfig(
    issuer.provision(
      {
        cardId: 'card-0001',
        currency: 'EUR',
        appKeys: [app.publicKey],
        limits: [
          { id: 'daily-count', measure: 'count', window: day, hard: '5', soft: '3', ceiling: '10' },
          { id: 'daily-amount', measure: 'amount', currency: 'EUR', window: day, hard: '100.00', ceiling: '500.00' },
        ],
        consecutiveOffline: { soft: 10, hard: 20 },
      },
      { seq: 1n, issuedAt: now, expiresAt: now + 300 },
    ),
    now,
  );
  const limitsOf = (result) => result.limits.map(({ id, limit, used, remaining, resetsAt }) => ({ id, limit, used, remaining, resetsAt }));
  const payment = card.authorise({ transactionId: 't-1', amount: '12.50', currency: 'EUR', time: now, terminalOnline: false });
  const overLimit = card.authorise({ transactionId: 't-2', amount: '95.00', currency: 'EUR', time: now + 60, terminalOnline: false });
  const command = card.applyCommand(app.command({ op: 'change', limitId: 'daily-count', delta: '2' }, { seq: 1n, issuedAt: now, expiresAt: now + 300 }), now + 120);
  return {
    config: { accepted: config.accepted, code: config.code, status: config.status },
    payment: { decision: payment.decision, code: payment.code, transactionCounter: payment.transactionCounter, limits: limitsOf(payment) },
    overLimit: { decision: overLimit.decision, code: overLimit.code },
    command: { accepted: command.accepted, code: command.code },
  };
}

/** Runs `body` and writes its JSON (or the error) into #out for the test to read. */
export async function report(body) {
  const out = document.getElementById('out');
  try {
    out.textContent = JSON.stringify(await body());
  } catch (err) {
    out.textContent = JSON.stringify({ error: String((err && err.code) || ''), message: String((err && err.message) || err) });
  }
  out.dataset.done = 'true';
}

/**
 * Page only: a real trap in the loaded instance (the raw glue's `__trapForTests` runs
 * `unreachable`), reported to the SDK as any call would (`fromWasmError`), then `reinit()`: the
 * SDK imports a fresh copy of the module's glue from the bundle and instantiates the module it
 * compiled the first time. The card checks must then give the same results again.
 */
export async function trapAndRecover(sdk, raw, fromWasmError, reinit) {
  const refusal = (fn) => {
    try {
      fn();
      return 'no error';
    } catch (err) {
      return String(err.code);
    }
  };
  let trapName = 'no trap';
  try {
    raw.__trapForTests();
  } catch (err) {
    trapName = err.constructor.name;
    fromWasmError(err); // what every SDK call does with what the wasm throws
  }
  const afterTrap = { initialized: sdk.isInitialized(), parse: refusal(() => sdk.Amount.parse('1', 'EUR')) };
  await reinit();
  const afterInit = { initialized: sdk.isInitialized(), parse: sdk.Amount.parse('1', 'EUR').toString(), loaded: sdk.loadedModule() };
  return { trapName, afterTrap, afterInit, card: await cardChecks(sdk) };
}
