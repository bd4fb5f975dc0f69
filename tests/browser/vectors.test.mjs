// Every vector test of the SDK (sdk-ts/test/*vectors*.test.mjs and the Wycheproof suite) runs
// unchanged in headless Chromium: the same files, the same vectors, the same assertions as in
// Node (and, through the shared JSON, as in `cargo test`). The product's promise is that the same
// bytes decide everywhere; this runs it where the pages run.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_MOUNTS } from '../../scripts/serve.mjs';
import { REPO_ROOT, assertSdkBuilt, launchBrowser, startDemoServer, withWatchedPage } from './helpers.mjs';

/** Longest one vector file's tests may take in the page (the Wycheproof suite is the slowest). */
const VECTOR_FILE_TIMEOUT_MS = 180_000;
/** Most vector files preloaded into a page (the folder holds about 40). */
const VECTOR_FILES_MAX = 500;

const sdkTestDir = path.join(REPO_ROOT, 'sdk-ts', 'test');
const vectorTests = readdirSync(sdkTestDir)
  .filter((f) => /vectors.*\.test\.mjs$|^wycheproof\.test\.mjs$/.test(f))
  .sort();

function vectorPaths(dir = path.join(REPO_ROOT, 'tests', 'vectors'), out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) vectorPaths(full, out);
    else if (entry.name.endsWith('.json')) out.push('/' + path.relative(REPO_ROOT, full).split(path.sep).join('/'));
  }
  assert.ok(out.length <= VECTOR_FILES_MAX, `more than ${VECTOR_FILES_MAX} vector files`);
  return out;
}

describe('browser: the vector tests run unchanged in Chromium', () => {
  let browser;
  let server;
  const paths = vectorPaths();

  before(async () => {
    assertSdkBuilt();
    server = await startDemoServer({ mounts: { ...DEFAULT_MOUNTS, '/tests/': path.join(REPO_ROOT, 'tests') } });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('the vector test files are found', () => {
    assert.ok(vectorTests.length >= 7, `found ${vectorTests.join(', ')}`);
  });

  test('the page harness can fail: a sample with two wrong assertions reports them', async () => {
    await withWatchedPage(browser, async (page) => {
      await page.goto(new URL('tests/browser/shims/vectors.html', server.url).href);
      await page.waitForFunction(() => window.harnessReady === true);
      const results = await page.evaluate(() => window.runVectorTest('/tests/browser/shims/failing-sample.mjs', []));
      assert.deepEqual(results.map((r) => r.ok), [false, false, true]);
    });
  });

  for (const file of vectorTests) {
    test(`${file} in Chromium`, { timeout: VECTOR_FILE_TIMEOUT_MS + 10_000 }, async () => {
      await withWatchedPage(browser, async (page) => {
        page.setDefaultTimeout(VECTOR_FILE_TIMEOUT_MS);
        const failedFetches = [];
        page.on('response', (response) => {
          if (response.status() >= 400) failedFetches.push(`${response.status()} ${new URL(response.url()).pathname}`);
        });
        await page.goto(new URL('tests/browser/shims/vectors.html', server.url).href);
        await page.waitForFunction(() => window.harnessReady === true);
        const results = await page.evaluate(({ file, paths }) => window.runVectorTest(file, paths), {
          file: `/sdk/test/${file}`,
          paths,
        });
        assert.ok(results.length > 0, `${file}: no test ran in the page`);
        assert.deepEqual(failedFetches, [], `${file}: fetches that failed`);
        const failed = results.filter((r) => !r.ok);
        assert.deepEqual(failed, [], `${file}: ${failed.length} of ${results.length} failed in Chromium`);
        console.log(`# ${file}: ${results.length} tests passed in Chromium`);
      });
    });
  }
});
