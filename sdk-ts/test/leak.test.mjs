// Leaks: every kind of wasm-backed object is made, used and freed many times — and, in a second
// run, made, used and dropped without free() for the garbage collector (the glue's
// FinalizationRegistry) to reclaim — and neither the wasm memory nor Node's external memory
// (`process.memoryUsage().external`, which holds the wasm memory's buffer and every ArrayBuffer)
// grows past a bound.
//
// The measurement runs in a child process started with --expose-gc (node --test cannot pass
// V8 flags to one file), which prints its numbers as JSON; the test asserts on them.
//
// LEAK_ITERATIONS sets the count per kind and run: default 5,000 (about 12 s on two cores, in
// npm test); the full count is LEAK_ITERATIONS=100000 (about 5 minutes: run it by hand
// after changing how handles are made or freed).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Iterations per kind and run. */
const ITERATIONS = Number(process.env.LEAK_ITERATIONS ?? 5_000);
/** Iterations first run unmeasured, so that the allocator and V8 reach their working size. */
const WARM_UP = 1_000;
/** Dropped objects between forced collections: bounds the garbage waiting to be reclaimed. */
const GC_EVERY = 500;
/**
 * Allowed growth after warm-up, per kind and run. A leak of 210 bytes or more per iteration
 * (a handle's Rust struct, a result left in wasm memory) over 5,000 iterations passes 1 MiB and
 * fails this; a whole leaked handle (a ledger is ~6.5 KB) fails it by far (measured: 13 MB for
 * 2,000 ledgers kept alive). Measured at 100,000 iterations: 0 growth for every freed run, and
 * at most 128 KiB of wasm memory (two pages) for a dropped run.
 */
const WASM_GROWTH_MAX_BYTES = 1 * 1024 * 1024;
/**
 * Allowed growth of the Rust heap's bytes in use (`heapBytesInUse`, counted by the adapter's
 * allocator), after warm-up: exact where the memory's size is coarse (it grows by a MiB or an
 * eighth of itself at a time, wasm/src/alloc.rs), so a leak of 4 bytes per iteration over
 * 5,000 iterations fails it.
 */
const HEAP_GROWTH_MAX_BYTES = 16 * 1024;
const EXTERNAL_GROWTH_MAX_BYTES = 2 * 1024 * 1024;
/** The child's time limit (it prints progress on stderr). */
const CHILD_TIMEOUT_MS = 20 * 60 * 1000;

if (process.env.COUNTERSIGN_LEAK_CHILD === '1') {
  await child();
} else {
  const { test } = await import('node:test');
  test(`make, use and free — or drop for the GC — each kind of handle ${ITERATIONS} times: wasm and external memory stay flat`, { timeout: CHILD_TIMEOUT_MS }, () => {
    const run = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url)], {
      env: { ...process.env, COUNTERSIGN_LEAK_CHILD: '1', LEAK_ITERATIONS: String(ITERATIONS) },
      encoding: 'utf8',
      timeout: CHILD_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
    assert.equal(run.status, 0, `the measuring process failed:\n${run.stderr}`);
    const results = JSON.parse(run.stdout);
    const kinds = new Set(results.map((r) => r.kind));
    assert.deepEqual([...kinds].sort(), ['Card', 'CustodyBook', 'EnergyServer', 'EnergyTerminal', 'Ledger', 'LiabilitiesTree', 'PosTerminalState', 'PublishedLiabilitiesRoot', 'ShelfController', 'TempCardIssuer']);
    assert.equal(results.length, kinds.size * 2, 'a freed run and a dropped run per kind');
    for (const r of results) {
      const what = `${r.kind} (${r.mode}, ${r.iterations} iterations, ${r.msPerIteration.toFixed(3)} ms each)`;
      console.log(`${what}: wasm memory ${r.wasmBefore} -> ${r.wasmAfter} bytes, heap in use ${r.heapBefore} -> ${r.heapAfter} bytes, external ${r.externalBefore} -> ${r.externalAfter} bytes`);
      assert.equal(r.iterations, ITERATIONS);
      assert.ok(r.heapAfter - r.heapBefore <= HEAP_GROWTH_MAX_BYTES, `${what}: the Rust heap in use grew by ${r.heapAfter - r.heapBefore} bytes`);
      assert.ok(r.wasmAfter - r.wasmBefore <= WASM_GROWTH_MAX_BYTES, `${what}: wasm memory grew by ${r.wasmAfter - r.wasmBefore} bytes`);
      assert.ok(r.externalAfter - r.externalBefore <= EXTERNAL_GROWTH_MAX_BYTES, `${what}: external memory grew by ${r.externalAfter - r.externalBefore} bytes`);
    }
    // The dropped runs really left the objects to the collector: had finalizers not freed them,
    // each kind would have grown by far more than the bound (checked above); that they were
    // reclaimed at all is checked in the child (a WeakRef to a dropped object is cleared).
    for (const r of results.filter((x) => x.mode === 'dropped')) assert.equal(r.reclaimed, true, `${r.kind}: dropped objects were reclaimed`);
  });
}

// ---------------------------------------------------------------------------------------------
// The measuring process

async function child() {
  const sdk = await import('@countersign/sdk');
  const { wasm } = await import('../dist/loader.js');
  const glue = wasm();
  const memory = glue.initSync().memory; // initSync() of a loaded glue returns its exports
  const iterations = Number(process.env.LEAK_ITERATIONS);
  const KEY = new Uint8Array(32).fill(3);
  const NOW = 1_767_225_600;

  // One saved state per kind: restoring it is the "create"; each use calls into wasm several
  // times, allocates results (strings, arrays, bytes) and changes the state.
  const ledgerOps = (i) => [
    { op: 'openAccount', request: { idempotencyKey: `a${i}`, now: NOW, accountId: 'a', currency: 'EUR', kind: 'unrestricted' } },
    { op: 'openAccount', request: { idempotencyKey: `b${i}`, now: NOW, accountId: 'b', currency: 'EUR', kind: 'nonNegative' } },
    { op: 'transfer', request: { idempotencyKey: `t${i}`, now: NOW, debitAccountId: 'a', creditAccountId: 'b', amount: '1.00', currency: 'EUR' } },
  ];

  const issuerKeys = sdk.keyPairFromSecret('EdDSA', new Uint8Array(32).fill(11));
  const cardIssuer = new sdk.Issuer(issuerKeys, 'issuer-1');
  const card0 = sdk.Card.create('card-1', cardIssuer.publicKey);
  await card0.applyConfig(
    cardIssuer.provision(
      { cardId: 'card-1', currency: 'EUR', limits: [{ id: 'count', measure: 'count', window: { kind: 'lifetime' }, hard: '1000000' }], appKeys: [] },
      { seq: 1n, issuedAt: NOW, expiresAt: NOW + 600 },
    ),
    NOW,
  );
  const cardSnapshot = card0.snapshot(KEY);
  card0.free();

  const CVV_KEY = new Uint8Array(32).fill(9);
  const tc0 = sdk.TempCardIssuer.create({ currency: 'EUR', binRange: { low: '45717360', high: '45717369', panLength: 16 } }, { cvvKey: CVV_KEY, now: NOW });
  tc0.approve({
    accountId: 'tmp-1',
    parentAccountId: 'parent-1',
    approvedLimit: '1500.00',
    limitFraction: '0.2',
    displayWindow: { from: NOW, until: NOW + 300 },
    usableWindow: { from: NOW, until: NOW + 86_400 },
    now: NOW,
  });
  const tempcardSnapshot = tc0.snapshot(KEY);
  tc0.free();

  const serverKeys = sdk.keyPairFromSecret('EdDSA', new Uint8Array(32).fill(13));
  const terminalKeys = sdk.keyPairFromSecret('EdDSA', new Uint8Array(32).fill(14));
  const server0 = sdk.EnergyServer.create({ currency: 'EUR', holdDurationS: 900, lateCompletion: 'reject' }, NOW, serverKeys, 'server-1');
  const terminal0 = sdk.EnergyTerminal.create({ stationId: 'station-1', serverKey: server0.publicKey }, terminalKeys, 'pump-1');
  server0.addTerminal('station-1', terminal0.publicKey, NOW);
  server0.openWallet('alice', NOW);
  server0.topUp('alice', '100.00', NOW);
  const FUEL = { currency: 'EUR', unit: 'litre', unitPrice: '1.859', costRounding: 'half-even' };
  const ordered = terminal0.order({ orderId: 'o-1', walletId: 'alice', maximum: '50.00', belowMaximum: 'decline', tariff: FUEL }, NOW);
  terminal0.acceptReply('o-1', server0.handle('order', ordered.envelope, NOW), NOW);
  const serverSnapshot = server0.snapshot(KEY);
  const terminalSnapshot = terminal0.snapshot(KEY);
  server0.free();
  terminal0.free();

  const shelfSensor = { noiseSigmaMg: 10000, eventThresholdMg: 10000, windowSamples: 10, cusumHMg: 100000, stableRangeMg: 60000, driftMgPerSampleMax: 500 };
  const shelf0 = sdk.ShelfController.create({
    shelfId: 'aisle-1',
    config: { kCenti: 300, marginZCenti: 200, learnShiftPermilleMax: 50, learnPicksMin: 5, itemsMax: 6, combinationsMax: 200000 },
    itemTypes: [{ id: 'jam', nominalMg: 300000, sigmaMg: 4000, valueMinor: 400, perishable: false }, { id: 'milk', nominalMg: 1030000, sigmaMg: 8000, valueMinor: 150, perishable: true }],
    lanes: [{ id: 'L1', itemType: 'jam', count: 5, sensor: shelfSensor }, { id: 'L2', itemType: 'milk', count: 5, sensor: shelfSensor }],
  });
  shelf0.weightChange({ laneId: 'L1', deltaMg: -300000, sigmaMg: 4473, shopperIds: ['ann'], now: NOW });
  const shelfSnapshot = shelf0.snapshot(KEY);
  shelf0.free();
  const till0 = sdk.PosTerminalState.create({ terminalId: 'till-1', offline: { currencies: [{ currency: 'EUR', paymentMax: '50.00', totalMax: '500.00' }], countMax: 100, maxAgeMs: 3_600_000 } });
  till0.store({ idempotencyKey: 'p0', kind: 'payment', amount: '3.00', currency: 'EUR', cardHash: 'ab'.repeat(32), cardType: 'visa' }, NOW * 1000);
  const tillSnapshot = till0.snapshot(KEY);
  till0.free();

  const LIABILITIES_SECRET = new Uint8Array(32).fill(0x42);
  const liabilitiesSigner = { keyId: 'platform-1', algorithm: 'EdDSA', secretKey: new Uint8Array(32).fill(7) };
  const liabilitiesTrusted = [{ keyId: 'platform-1', algorithm: 'EdDSA', publicKey: sdk.ed25519PublicKey(liabilitiesSigner.secretKey) }];
  const liabilitiesClients = Array.from({ length: 9 }, (_, i) => ({ clientId: `c${i}`, balance: String(i * 100) }));
  const liabilitiesTree = (round) => {
    const tree = sdk.LiabilitiesTree.create({ asset: 'BTC', round, scale: 8, clientCount: 9 }, LIABILITIES_SECRET);
    tree.add(liabilitiesClients.slice(0, 4));
    tree.add(liabilitiesClients.slice(4));
    tree.finish();
    return tree;
  };
  const tree0 = liabilitiesTree(1);
  const liabilitiesRoot = tree0.publish(liabilitiesSigner, NOW - 5, NOW + 3600);
  const liabilitiesProof = tree0.proof(5, 'c5');
  tree0.free();

  // The custody book: restored from its log (configuration + events, replayed), then one
  // event of each of three kinds and a signing-free view.
  const custodyOmnibusKey = new Uint8Array(32).fill(3);
  const custodyAlice = sdk.custodyTransferWallet(new Uint8Array(32).fill(1), 0);
  const custody0 = sdk.CustodyBook.create({
    assets: [{ asset: 'BTC', confirmations: 1, sweepThreshold: '0.001', clientLimits: [], assetLimits: [] }],
    omnibusAddress: sdk.custodyAddressOf(sdk.secp256k1PublicKey(custodyOmnibusKey, { compressed: true })),
    approvers: [{ approverId: 'a0', publicKey: sdk.ed25519PublicKey(new Uint8Array(32).fill(0x40)) }],
    quorum: 1,
    coolingOffS: 0,
  });
  custody0.registerClient({ clientId: 'alice', address: custodyAlice.address, now: NOW });
  custody0.registerClient({ clientId: 'bob', address: sdk.custodyTransferWallet(new Uint8Array(32).fill(1), 1).address, now: NOW });
  custody0.observeDeposit({ depositId: 'd0', address: custodyAlice.address, asset: 'BTC', amount: '100', confirmations: 1, now: NOW });
  custody0.sweep({ sweepId: 's0', clientId: 'alice', asset: 'BTC', networkFee: '0', now: NOW });
  const custodySnapshot = custody0.snapshot(KEY);
  custody0.free();

  /** Per kind: make one object, use it (copy() and journal() included where they exist). */
  const kinds = {
    Ledger: (i) => {
      const ledger = sdk.Ledger.create();
      ledger.executeBatch(ledgerOps(i));
      ledger.journal();
      ledger.copy().free();
      if (ledger.account('b').balance !== '1.00') throw new Error('ledger use failed');
      return ledger;
    },
    Card: (i) => {
      const card = sdk.Card.restore(cardSnapshot, KEY);
      return card.then((c) => {
        const result = c.authorise({ transactionId: `t${i}`, amount: '1.00', currency: 'EUR', time: NOW + 10, terminalOnline: false });
        if (result.code !== 'APPROVED') throw new Error(`card use failed: ${result.code}`);
        c.copy().free();
        return c;
      });
    },
    TempCardIssuer: () => {
      const issuer = sdk.TempCardIssuer.restore(tempcardSnapshot, KEY, CVV_KEY);
      if (issuer.reveal('tmp-1', NOW + 10).code !== 'DISPLAY_ALLOWED') throw new Error('tempcard use failed');
      issuer.journal();
      issuer.copy().free();
      return issuer;
    },
    EnergyServer: (i) => {
      const server = sdk.EnergyServer.restore(serverSnapshot, KEY, serverKeys, 'server-1');
      if (server.topUp('alice', '1.00', NOW + i).code !== 'TRANSFERRED') throw new Error('server use failed');
      server.journal();
      server.session('o-1');
      return server;
    },
    EnergyTerminal: (i) => {
      const terminal = sdk.EnergyTerminal.restore(terminalSnapshot, KEY, terminalKeys, 'pump-1');
      if (terminal.meter('o-1', '1.00', NOW + 10).code !== 'READING_ACCEPTED') throw new Error('terminal use failed');
      terminal.session('o-1');
      terminal.snapshot(KEY);
      return terminal;
    },
    LiabilitiesTree: (i) => {
      const tree = liabilitiesTree(i);
      if (tree.publishedRoot().total !== '3600') throw new Error('liabilities tree use failed');
      tree.proof(i % 9, `c${i % 9}`);
      return tree;
    },
    PublishedLiabilitiesRoot: () => {
      const opened = sdk.PublishedLiabilitiesRoot.open(liabilitiesRoot, { trustedKeys: liabilitiesTrusted, now: NOW });
      if (opened.root.verify(liabilitiesProof, 'c5', '500').code !== 'INCLUDED') throw new Error('liabilities root use failed');
      return opened.root;
    },
    PosTerminalState: (i) => {
      const till = sdk.PosTerminalState.restore(tillSnapshot, KEY);
      if (till.store({ idempotencyKey: `p${i + 1}`, kind: 'payment', amount: '1.00', currency: 'EUR', cardHash: 'cd'.repeat(32), cardType: 'visa' }, NOW * 1000 + 1).code !== 'STORED') throw new Error('till use failed');
      till.exportQueue();
      till.snapshot(KEY);
      return till;
    },
    CustodyBook: (i) => {
      const book = sdk.CustodyBook.restore(custodySnapshot, KEY);
      if (book.transfer({ transferId: `t${i}`, fromClientId: 'alice', toClientId: 'bob', asset: 'BTC', amount: 1000n, now: NOW }).code !== 'TRANSFERRED') throw new Error('custody use failed');
      book.observeOmnibus({ asset: 'BTC', balance: '99', now: NOW });
      book.discrepancies();
      book.clientBalances('BTC');
      book.snapshot(KEY);
      return book;
    },
    ShelfController: (i) => {
      const shelf = sdk.ShelfController.restore(shelfSnapshot, KEY);
      if (shelf.weightChange({ laneId: 'L2', deltaMg: 300000 + (i % 7) * 1000, sigmaMg: 4473, shopperIds: ['ann'], now: NOW + 10 }).code !== 'untidy') throw new Error('shelf use failed');
      shelf.samples('L1', [1, 2, 3]);
      shelf.tasks();
      shelf.snapshot(KEY);
      return shelf;
    },
  };

  const settle = async () => {
    // Finalization callbacks run as tasks after a collection: collect, yield, repeat.
    for (let i = 0; i < 3; i++) {
      globalThis.gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };

  const results = [];
  for (const [kind, make] of Object.entries(kinds)) {
    for (const mode of ['freed', 'dropped']) {
      let witness;
      const once = async (i) => {
        const made = await make(i);
        if (mode === 'freed') made.free();
        else if (i % GC_EVERY === 0) witness = new WeakRef(made);
        if (mode === 'dropped' && i % GC_EVERY === GC_EVERY - 1) await settle();
      };
      for (let i = 0; i < WARM_UP; i++) await once(i);
      await settle();
      const wasmBefore = memory.buffer.byteLength;
      const heapBefore = glue.heapBytesInUse();
      const externalBefore = process.memoryUsage().external;
      const started = performance.now();
      for (let i = 0; i < iterations; i++) await once(i);
      const elapsed = performance.now() - started;
      await settle();
      results.push({
        kind,
        mode,
        iterations,
        msPerIteration: elapsed / iterations,
        wasmBefore,
        wasmAfter: memory.buffer.byteLength,
        heapBefore,
        heapAfter: glue.heapBytesInUse(),
        externalBefore,
        externalAfter: process.memoryUsage().external,
        reclaimed: mode === 'dropped' ? witness !== undefined && witness.deref() === undefined : undefined,
      });
      process.stderr.write(`${kind} ${mode}: ${(elapsed / 1000).toFixed(1)} s\n`);
    }
  }
  process.stdout.write(JSON.stringify(results));
}
