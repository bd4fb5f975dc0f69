// Drives the System 9 demo page (examples-web/dose.html) in headless Chromium: the terminal pairs
// and installs program version 1; the simulated controller plays twelve hours (a night low and a
// meal high) whose frames the terminal decodes and whose history the controller's evaluation turns
// into alarms, drawn on the uPlot chart with the thresholds; an occlusion is forwarded as what it
// is; a lost sensor becomes stale data; a damaged and a repeated frame get their codes; settings are
// refused with their findings, then sent, pending, and confirmed by the controller (the chart's
// thresholds move); a program update lists the settings it no longer permits and an older one is
// refused; a reload restores everything from IndexedDB; a reset starts again. Every decision shown
// is what the WebAssembly core decided in the browser.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertSdkBuilt, launchBrowser, shownErrors, startDemoServer, textOf, waitForSdkReady, withWatchedPage } from './helpers.mjs';

const currentStep = async (page) => Number(await page.locator('body').getAttribute('data-step'));

async function waitForRestored(page) {
  await waitForSdkReady(page);
  await page.waitForFunction(() => Number(document.body.dataset.step) >= 1 && document.body.dataset.busy === 'false');
}

async function act(page, testId, { errors = false } = {}) {
  const before = await currentStep(page);
  await page.getByTestId(testId).click();
  await page.waitForFunction((s) => Number(document.body.dataset.step) > s && document.body.dataset.busy === 'false', before);
  if (!errors) assert.equal(await shownErrors(page), '', `${testId}: unexpected error`);
}

const chartAttr = (page, name) => page.getByTestId('chart').getAttribute(`data-${name}`);
const signalKinds = (page) => page.getByTestId('signal').evaluateAll((rows) => rows.map((r) => r.dataset.kind));

describe('browser demo: the patient terminal', () => {
  let browser;
  let server;
  let url;

  before(async () => {
    assertSdkBuilt();
    // The page sends its alarms to the demo's management server (dose-alarm.test.mjs drives that part).
    server = await startDemoServer({ doseAlarms: true });
    browser = await launchBrowser();
    url = new URL('dose.html', server.url).href;
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('a day of readings and its alarms, an occlusion, a lost sensor, broken frames, settings pending then confirmed, program update, reload, reset', async () => {
    await withWatchedPage(browser, async (page) => {
      await page.goto(url);
      await waitForRestored(page);
      assert.equal(await textOf(page, 'restore-status'), 'new terminal');
      assert.match(await textOf(page, 'program-version'), /v1$/);
      assert.equal(await textOf(page, 'install-outcome'), 'INSTALLED');
      assert.equal(await textOf(page, 'settings-confirmed'), '—');

      await act(page, 'play-day');
      assert.equal(await textOf(page, 'frame-code'), 'ACCEPTED');
      assert.equal(await chartAttr(page, 'points'), '288', 'a day of 5-minute readings');
      assert.equal(await chartAttr(page, 'thresholds'), '55,80,180,260', 'the defaults are drawn');
      assert.equal(await page.locator('[data-testid="chart"] canvas').count() > 0, true, 'uPlot drew the chart');
      assert.ok(Number(await chartAttr(page, 'alarms')) >= 2, 'alarms are marked on the chart');
      const kinds = await signalKinds(page);
      for (const k of ['low', 'urgent-low', 'high', 'urgent-high']) assert.ok(kinds.includes(k), `${k} in ${kinds}`);

      await act(page, 'inject-occlusion');
      assert.equal(await page.getByTestId('current-alarm').getAttribute('data-kind'), 'occlusion');
      assert.equal(await page.getByTestId('current-alarm').getAttribute('data-priority'), 'high');
      await act(page, 'clear-occlusion');
      await act(page, 'lose-sensor');
      assert.ok((await signalKinds(page)).includes('urgent-stale-data'));

      await act(page, 'send-damaged');
      assert.equal(await textOf(page, 'frame-code'), 'BAD_CRC');
      await act(page, 'send-duplicate');
      assert.equal(await textOf(page, 'frame-code'), 'DUPLICATE');

      // Refused: an urgent low not below the low; nothing is sent.
      await page.getByTestId('setting-urgentLowMgdl').fill('95');
      await page.getByTestId('setting-lowMgdl').fill('90');
      await act(page, 'send-settings');
      assert.equal(await textOf(page, 'settings-outcome'), 'SETTINGS_REFUSED');
      const findings = await page.getByTestId('settings-finding').allTextContents();
      assert.ok(findings.some((f) => f.startsWith('refused: lowMgdl') && f.includes('ORDER')), findings.join('\n'));
      assert.ok(findings.some((f) => f.startsWith('warning: urgentLowMgdl')), findings.join('\n'));
      assert.equal(await textOf(page, 'settings-pending'), 'none');
      // Sent: pending until the controller answers; the chart keeps the old thresholds meanwhile.
      await page.getByTestId('setting-urgentLowMgdl').fill('55');
      await act(page, 'send-settings');
      assert.equal(await textOf(page, 'settings-outcome'), 'SETTINGS_PENDING');
      assert.match(await textOf(page, 'settings-pending'), /^55 \/ 90 \/ 180 \/ 260/);
      assert.equal(await chartAttr(page, 'thresholds'), '55,80,180,260');
      await act(page, 'controller-confirm');
      assert.equal(await textOf(page, 'settings-outcome'), 'SETTINGS_CONFIRMED');
      assert.equal(await textOf(page, 'settings-pending'), 'none');
      assert.match(await textOf(page, 'settings-confirmed'), /^55 \/ 90 \/ 180 \/ 260/);
      assert.equal(await chartAttr(page, 'thresholds'), '55,90,180,260');

      // A program update that caps a bolus at 5 U: the patient's 10 U is listed for review.
      await act(page, 'install-update');
      assert.equal(await textOf(page, 'install-outcome'), 'INSTALLED_SETTINGS_REVIEW');
      assert.match(await textOf(page, 'install-invalid'), /maxBolusMu/);
      assert.match(await textOf(page, 'program-version'), /v2$/);
      await act(page, 'install-old');
      assert.equal(await textOf(page, 'install-outcome'), 'DOWNGRADE');

      const signalsBefore = await signalKinds(page);
      await page.reload();
      await waitForRestored(page);
      assert.equal(await shownErrors(page), '', 'no error after the reload');
      assert.match(await textOf(page, 'restore-status'), /^restored from IndexedDB/);
      assert.match(await textOf(page, 'program-version'), /v2$/);
      assert.match(await textOf(page, 'settings-confirmed'), /^55 \/ 90 \/ 180 \/ 260/);
      assert.equal(await chartAttr(page, 'thresholds'), '55,90,180,260', 'the controller replayed its confirmed settings');
      assert.equal(await chartAttr(page, 'points'), '288', 'the day came back from IndexedDB');
      assert.deepEqual(await signalKinds(page), signalsBefore, 'the same evaluation after the reload');

      await act(page, 'reset-demo');
      assert.equal(await textOf(page, 'restore-status'), 'new terminal');
      assert.equal(await chartAttr(page, 'points'), '0');
    });
  });
});
