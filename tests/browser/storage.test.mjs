// IndexedDbStorage in headless Chromium: the same contract suite the Node adapters pass
// (sdk-ts/test/storage-contract.mjs, served at /sdk/test/), state that survives a page reload,
// and two tabs racing compare-and-swap on one key.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { storageContract } from '../../sdk-ts/test/storage-contract.mjs';
import { REPO_ROOT, assertSdkBuilt, launchBrowser, openWatchedPage, startDemoServer } from './helpers.mjs';

const BLANK_PAGE = 'test-pages/blank.html';
const ADAPTER_URL = '/sdk/dist/storage/indexeddb.js';
const CONTRACT_URL = '/sdk/test/storage-contract.mjs';

describe('browser: IndexedDbStorage', () => {
  let browser;
  let server;
  let watched;
  let blankUrl;

  before(async () => {
    assertSdkBuilt();
    assert.ok(existsSync(path.join(REPO_ROOT, 'sdk-ts', 'dist', 'storage', 'indexeddb.js')), 'run `bash scripts/build.sh` first');
    server = await startDemoServer();
    browser = await launchBrowser();
    blankUrl = new URL(BLANK_PAGE, server.url).href;
    watched = await openWatchedPage(browser);
    await watched.page.goto(blankUrl);
  });

  after(async () => {
    await watched?.close();
    await browser?.close();
    await server?.close();
  });

  storageContract.forEach(({ name }, i) => {
    test(`contract: ${name}`, async () => {
      await watched.page.evaluate(
        async ({ name, dbName, adapterUrl, contractUrl }) => {
          const { IndexedDbStorage } = await import(adapterUrl);
          const { runContractCase } = await import(contractUrl);
          const storage = new IndexedDbStorage(dbName);
          try {
            await runContractCase(name, storage);
          } finally {
            await storage.close();
          }
        },
        { name, dbName: `contract-${i}`, adapterUrl: ADAPTER_URL, contractUrl: CONTRACT_URL },
      );
      watched.assertClean();
    });
  });

  test('state survives a page reload (a new connection, a new module instance)', async () => {
    const { page } = watched;
    const written = await page.evaluate(async (adapterUrl) => {
      const { IndexedDbStorage } = await import(adapterUrl);
      const storage = new IndexedDbStorage('persist');
      const put = await storage.put('card/4000-0012', new Uint8Array([1, 2, 3, 4]), null);
      const update = await storage.put('card/4000-0012', new Uint8Array([5, 6, 7]), put.version);
      const seqs = [
        await storage.append('journal', new TextEncoder().encode('provisioned')),
        await storage.append('journal', new TextEncoder().encode('authorised')),
      ];
      await storage.close();
      return { update, seqs };
    }, ADAPTER_URL);
    assert.deepEqual(written, { update: { ok: true, version: 2 }, seqs: [1, 2] });

    await page.reload();
    await page.waitForLoadState('load');
    const read = await page.evaluate(async (adapterUrl) => {
      const { IndexedDbStorage } = await import(adapterUrl);
      const storage = new IndexedDbStorage('persist');
      const got = await storage.get('card/4000-0012');
      const log = await storage.readLog('journal');
      const stale = await storage.put('card/4000-0012', new Uint8Array([9]), 1);
      const next = await storage.append('journal', new TextEncoder().encode('reloaded'));
      await storage.close();
      return {
        value: Array.from(got.value),
        version: got.version,
        log: log.map((r) => [r.seq, new TextDecoder().decode(r.record)]),
        stale,
        next,
        keys: await storage.list(),
      };
    }, ADAPTER_URL);
    assert.deepEqual(read, {
      value: [5, 6, 7],
      version: 2,
      log: [
        [1, 'provisioned'],
        [2, 'authorised'],
      ],
      stale: { ok: false, code: 'VERSION_CONFLICT', currentVersion: 2 },
      next: 3,
      keys: ['card/4000-0012'],
    });
    watched.assertClean();
  });

  test('two tabs racing CAS increments on one key: exactly one winner per version, no lost update', async () => {
    const rounds = 30;
    const second = await watched.page.context().newPage();
    try {
      await second.goto(blankUrl);
      const pages = [watched.page, second];
      const results = await Promise.all(
        pages.map((page, tab) =>
          page.evaluate(
            async ({ adapterUrl, rounds, tab }) => {
              const { IndexedDbStorage } = await import(adapterUrl);
              const storage = new IndexedDbStorage('race');
              const won = [];
              let conflicts = 0;
              for (let i = 0; i < rounds; i += 1) {
                for (;;) {
                  const current = await storage.get('counter');
                  const n = current === null ? 0 : Number(new TextDecoder().decode(current.value).split(' ')[0]);
                  await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
                  const result = await storage.put('counter', new TextEncoder().encode(`${n + 1} by ${tab}`), current?.version ?? null);
                  if (result.ok) {
                    won.push(result.version);
                    break;
                  }
                  conflicts += 1;
                }
              }
              await storage.close();
              return { won, conflicts };
            },
            { adapterUrl: ADAPTER_URL, rounds, tab },
          ),
        ),
      );
      const won = results.flatMap((r) => r.won).sort((a, b) => a - b);
      assert.deepEqual(won, Array.from({ length: 2 * rounds }, (_, i) => i + 1), 'each version won exactly once');
      const final = await second.evaluate(async (adapterUrl) => {
        const { IndexedDbStorage } = await import(adapterUrl);
        const storage = new IndexedDbStorage('race');
        const got = await storage.get('counter');
        await storage.close();
        return { n: Number(new TextDecoder().decode(got.value).split(' ')[0]), version: got.version };
      }, ADAPTER_URL);
      assert.deepEqual(final, { n: 2 * rounds, version: 2 * rounds }, 'every increment counted');
      assert.ok(results[0].conflicts + results[1].conflicts > 0, 'the tabs really raced');
    } finally {
      await second.close();
    }
    watched.assertClean();
  });

  test('constructor validation names the parameter', async () => {
    const outcome = await watched.page.evaluate(async (adapterUrl) => {
      const { IndexedDbStorage } = await import(adapterUrl);
      const attempt = (fn) => {
        try {
          fn();
          return 'no error';
        } catch (err) {
          return `${err.name} ${err.code} ${err.param ?? '-'}`;
        }
      };
      return {
        noName: attempt(() => new IndexedDbStorage()),
        emptyName: attempt(() => new IndexedDbStorage('')),
        noFactory: attempt(() => new IndexedDbStorage('x', { indexedDB: { open: 42 } })),
        ok: attempt(() => new IndexedDbStorage('x')),
      };
    }, ADAPTER_URL);
    assert.deepEqual(outcome, {
      noName: 'TypeError INVALID_TYPE dbName',
      emptyName: 'RangeError INVALID_ARGUMENT dbName',
      noFactory: 'TypeError INVALID_TYPE options.indexedDB',
      ok: 'no error',
    });
    watched.assertClean();
  });
});
