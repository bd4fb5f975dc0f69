// Drives the System 8 proof-of-liabilities page (examples-web/custody-proof.html) in headless
// Chromium: the platform builds a tree of 20,000 clients in slices (the progress bar moves) and
// publishes the signed root; alice verifies her inclusion (INCLUDED, her path drawn up to the
// root: one node and one sibling per level, the root's hash and total the published ones); the
// page is reloaded and the check redone from the kept bytes; a proof with a lowered sibling sum is
// refused (ROOT_MISMATCH), a proof from a private tree shown only to her is refused
// (ROOT_NOT_PUBLISHED), both again after a reload. Every outcome is the WebAssembly core's, in the page.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertSdkBuilt, launchBrowser, shownErrors, startDemoServer, textOf, waitForSdkReady, withWatchedPage } from './helpers.mjs';

const currentStep = async (page) => Number(await page.locator('body').getAttribute('data-step'));

async function waitForRestored(page) {
  await waitForSdkReady(page);
  await page.waitForFunction(() => Number(document.body.dataset.step) >= 1 && document.body.dataset.busy === 'false');
}

async function act(page, testId) {
  const before = await currentStep(page);
  await page.getByTestId(testId).click();
  await page.waitForFunction((s) => Number(document.body.dataset.step) > s && document.body.dataset.busy === 'false', before, { timeout: 120_000 });
  assert.equal(await shownErrors(page), '', `${testId}: unexpected error`);
  return textOf(page, 'outcome-code');
}

describe('browser demo: a client verifies their inclusion in the proof of liabilities', () => {
  let browser;
  let server;
  let url;

  before(async () => {
    assertSdkBuilt();
    server = await startDemoServer();
    browser = await launchBrowser();
    url = new URL('custody-proof.html', server.url).href;
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('publish, verify with the path drawn, reload, a tampered proof and a private root refused', async () => {
    await withWatchedPage(browser, async (page) => {
      await page.goto(url);
      await waitForRestored(page);
      // Progress: record the bar's values while the tree builds.
      await page.evaluate(() => {
        window.progressSeen = [];
        const bar = document.querySelector('[data-testid="build-progress"]');
        new MutationObserver(() => window.progressSeen.push(Number(bar.value))).observe(bar, { attributes: true });
        setInterval(() => window.progressSeen.push(Number(bar.value)), 5);
      });
      await act(page, 'publish');
      const seen = await page.evaluate(() => window.progressSeen);
      assert.ok(seen.some((v) => v > 0 && v < 1), `the progress bar moved through the build: ${seen.slice(0, 20)}`);
      assert.equal(await textOf(page, 'root-clients'), '20,000');
      const rootHash = await textOf(page, 'root-hash');
      assert.match(rootHash, /^[0-9a-f]{64}$/);
      const total = await textOf(page, 'root-total');

      assert.equal(await act(page, 'verify'), 'INCLUDED');
      // The picture: 15 levels (20,000 clients), one node of hers and one sibling per level, the root on top.
      assert.equal(await page.getByTestId('path-node').count(), 15);
      assert.equal(await page.getByTestId('path-sibling').count(), 15);
      const rootText = await page.locator('svg.path-picture text').evaluateAll((t) => t.map((x) => x.textContent));
      assert.ok(rootText.includes(`${rootHash.slice(0, 6)}…${rootHash.slice(-4)}`), 'the root node shows the published hash');
      assert.ok(rootText.includes(total), 'the root node shows the published total');
      assert.equal(await page.getByTestId('path-root').getAttribute('class'), 'root');

      await page.reload();
      await waitForRestored(page);
      assert.equal(await textOf(page, 'root-hash'), rootHash, 'the published root survives the reload');
      assert.equal(await textOf(page, 'outcome-code'), 'INCLUDED', 'the check is redone after the reload');
      assert.equal(await page.getByTestId('path-node').count(), 15);

      assert.equal(await act(page, 'tamper'), 'ROOT_MISMATCH');
      assert.equal(await page.getByTestId('path-root').getAttribute('class'), 'bad');
      assert.equal(await act(page, 'private-root'), 'ROOT_NOT_PUBLISHED');
      await page.reload();
      await waitForRestored(page);
      assert.equal(await textOf(page, 'outcome-code'), 'ROOT_NOT_PUBLISHED', 'the refused check is redone after the reload');
      assert.equal(await act(page, 'verify'), 'INCLUDED');
      assert.equal(await shownErrors(page), '');
    });
  });
});
