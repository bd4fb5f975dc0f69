// Time-zone data in headless Chromium: the browser entry's loader fetches TZif files from the
// package's tzdata/ (served at /sdk/tzdata/), next to the module, with no setup.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT, assertSdkBuilt, launchBrowser, startDemoServer, withWatchedPage } from './helpers.mjs';

const TZ_MODULE_URL = '/sdk/dist/tz.js';
const INDEX_FILE = path.join(REPO_ROOT, 'sdk-ts', 'tzdata', 'index.json');

describe('browser: time-zone data', () => {
  let browser;
  let server;

  before(async () => {
    assertSdkBuilt();
    assert.ok(existsSync(INDEX_FILE), 'sdk-ts/tzdata missing: run `bash scripts/build.sh` first');
    server = await startDemoServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('loadTimeZone fetches Europe/Paris from next to the module; UTC, traversal and unknown zones fetch nothing', async () => {
    const { version } = JSON.parse(readFileSync(INDEX_FILE, 'utf8'));
    await withWatchedPage(browser, async (page) => {
      const requested = [];
      page.on('request', (request) => requested.push(new URL(request.url()).pathname));
      await page.goto(new URL('test-pages/blank.html', server.url).href);
      const result = await page.evaluate(async (moduleUrl) => {
        const tz = await import(moduleUrl);
        const outcome = async (name) => {
          try {
            await tz.loadTimeZone(name);
            return 'loaded';
          } catch (err) {
            return `${err.name} ${err.param}`;
          }
        };
        const paris = await tz.loadTimeZone('Europe/Paris');
        return {
          name: paris.name,
          version: paris.version,
          magic: new TextDecoder().decode(paris.tzif.subarray(0, 4)),
          utc: await tz.loadTimeZone('UTC'),
          traversal: await outcome('../package.json'),
          unknown: await outcome('Europe/Atlantis'),
        };
      }, TZ_MODULE_URL);
      assert.deepEqual(result, {
        name: 'Europe/Paris',
        version,
        magic: 'TZif',
        utc: null,
        traversal: 'RangeError name',
        unknown: 'RangeError name',
      });
      const tzRequests = requested.filter((p) => p.startsWith('/sdk/tzdata/'));
      assert.deepEqual(tzRequests, ['/sdk/tzdata/index.json', '/sdk/tzdata/Europe/Paris']);
    });
  });
});
