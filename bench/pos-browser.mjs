// System 4 in headless Chromium: payments stored per second through PosTerminal on
// IndexedDbStorage (`init({ systems: ['pos'] })`, each payment's outbox saved with strict
// durability before takePayment resolves) beside a plain IndexedDB queue written the way Workbox
// background sync writes its queue (one object store with an auto-increment key, one `add` of a
// request record per request, each in its own read-write transaction, default durability; and the
// same with strict durability), alternating rounds in the same page and run. Wall clock. Each
// side's stored count is checked before its rate is kept. A benchmark, never a test.
//
//   node bench/pos-browser.mjs          (bench/pos.mjs and `npm run bench` call measurePosBrowser)
import { startServer, DEFAULT_MOUNTS } from '../scripts/serve.mjs';
import { launchBrowser } from '../tests/browser/helpers.mjs';

export async function measurePosBrowser({ rounds = 5, perRound = 100 } = {}) {
  const server = await startServer({ port: 0, host: '127.0.0.1', mounts: DEFAULT_MOUNTS });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(new URL('test-pages/blank.html', server.url).href);
    return await page.evaluate(
      async ({ rounds, perRound }) => {
        const sdk = await import('/sdk/dist/index.js');
        await sdk.init({ systems: ['pos'] });
        const config = (id) => ({ terminalId: id, offline: { currencies: [{ currency: 'EUR', paymentMax: '100.00', totalMax: '1000000.00' }], countMax: 1000, maxAgeMs: 604_800_000 } });
        const payment = (key, i) => ({ idempotencyKey: key, amount: `${1 + (i % 50)}.${String(i % 100).padStart(2, '0')}`, currency: 'EUR', cardToken: `card-${i % 40}`, cardType: 'visa' });
        const offline = { authorise: async () => { throw new Error('offline'); }, forward: async () => { throw new Error('offline'); } };
        const stamp = `${Date.now()}`;

        async function terminalRound(r) {
          const t = await sdk.PosTerminal.open({ storage: new sdk.IndexedDbStorage(`pos-bench-${stamp}-t${r}`), snapshotKey: new Uint8Array(32).fill(1), config: config(`t${r}`), acquirer: offline });
          const t0 = performance.now();
          for (let i = 0; i < perRound; i++) {
            const out = await t.takePayment(payment(`p${i}`, i), 'forceOffline');
            if (out.status !== 'stored') throw new Error(`not stored: ${out.code}`);
          }
          const rate = perRound / ((performance.now() - t0) / 1000);
          if (t.status().pendingCount !== perRound) throw new Error('PosTerminal: not every payment is waiting');
          await t.close();
          return rate;
        }

        const openDb = (name) =>
          new Promise((resolve, reject) => {
            const req = indexedDB.open(name, 1);
            req.onupgradeneeded = () => req.result.createObjectStore('requests', { keyPath: 'id', autoIncrement: true }).createIndex('queueName', 'queueName');
            req.onsuccess = () => resolve(req.result);
            req.onerror = () => reject(req.error);
          });

        async function workboxRound(r, durability) {
          const db = await openDb(`pos-bench-${stamp}-q${durability}${r}`);
          const t0 = performance.now();
          for (let i = 0; i < perRound; i++) {
            // Workbox's QueueStore.pushEntry: one add of {queueName, requestData, timestamp} per request.
            const body = new TextEncoder().encode(JSON.stringify(payment(`p${i}`, i))).buffer;
            await new Promise((resolve, reject) => {
              const tx = db.transaction('requests', 'readwrite', { durability });
              tx.objectStore('requests').add({ queueName: 'payments', requestData: { url: '/v1/authorise', method: 'POST', headers: { 'content-type': 'application/json' }, body }, timestamp: Date.now() });
              tx.oncomplete = resolve;
              tx.onerror = () => reject(tx.error);
            });
          }
          const rate = perRound / ((performance.now() - t0) / 1000);
          const count = await new Promise((resolve) => {
            const req = db.transaction('requests').objectStore('requests').count();
            req.onsuccess = () => resolve(req.result);
          });
          if (count !== perRound) throw new Error('Workbox-style queue: not every request is stored');
          db.close();
          return rate;
        }

        const stored = [];
        const workbox = [];
        const workboxStrict = [];
        for (let r = 0; r < rounds; r++) {
          stored.push(await terminalRound(r));
          workbox.push(await workboxRound(r, 'default'));
          workboxStrict.push(await workboxRound(r, 'strict'));
        }
        return { version: navigator.userAgent.match(/Chrome\/[\d]+/)?.[0] ?? 'Chromium', stored, workbox, workboxStrict };
      },
      { rounds, perRound },
    );
  } finally {
    await browser.close();
    await server.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await measurePosBrowser(), null, 1));
