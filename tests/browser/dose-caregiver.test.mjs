// Drives System 9's caregiver page (examples-web/dose-caregiver.html) in headless Chromium against
// the demo server's real alarm WebSocket (scripts/serve.mjs, AlarmDeliveryServer): a second tab
// plays the patient's terminal and raises an urgent low; nobody answers on the patient's side, so
// after the patient's step (1 s here) the alarm is escalated to the caregiver's tab; the caregiver
// reloads (the alarm is still there, from the server's welcome), acknowledges, and the patient's
// tab is told (retracted). The server's audit log says the same.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertSdkBuilt, launchBrowser, openWatchedPage, startDemoServer, textOf } from './helpers.mjs';
import { DOSE_DEMO_SETUP, DOSE_DEMO_TOKENS } from '../../scripts/serve.mjs';

const SHORT_LADDER = {
  ...DOSE_DEMO_SETUP,
  policies: [{ steps: [{ role: 'patient', ackTimeoutMs: 1000 }, { role: 'caregiver', ackTimeoutMs: 60000 }, { role: 'doctor', ackTimeoutMs: 60000 }] }],
};

const alarmsShown = (page) => page.locator('body').getAttribute('data-alarms').then(Number);

describe('browser demo: the caregiver page receives escalations over the WebSocket', () => {
  let browser;
  let server;

  before(async () => {
    assertSdkBuilt();
    server = await startDemoServer({ doseAlarms: { setup: SHORT_LADDER, tokens: DOSE_DEMO_TOKENS, tickIntervalMs: 100 } });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('an urgent low escalates from the patient tab to the caregiver tab, survives a reload, and is acknowledged', async () => {
    const patient = await openWatchedPage(browser);
    const carer = await openWatchedPage(browser);
    try {
      const pat = patient.page;
      const mum = carer.page;
      await mum.goto(new URL('dose-caregiver.html?as=mum', server.url).href);
      await pat.goto(new URL('dose-caregiver.html?as=pat', server.url).href);
      for (const page of [pat, mum]) await page.waitForFunction(() => document.body.dataset.connected === 'true');
      assert.equal(await textOf(mum, 'who'), 'Mum (caregiver)');
      assert.equal(await alarmsShown(mum), 0);

      await pat.getByTestId('raise-urgent-low').click();
      await pat.waitForFunction(() => document.querySelector('[data-testid="raise-result"]').dataset.code === 'issued');
      // Step 0: the patient's own terminal.
      await pat.waitForFunction(() => document.body.dataset.alarms === '1');
      // Not acknowledged within 1 s: escalated to the caregiver.
      await mum.waitForFunction(() => document.body.dataset.alarms === '1', null, { timeout: 10_000 });
      assert.equal(await textOf(mum, 'alarm-reason'), 'Glucose 48 mg/dL, below 55 mg/dL');
      assert.match(await textOf(mum, 'alarm-meta'), /high priority .* escalated to the caregiver/);

      // A reload: the page keeps nothing; the server's welcome brings the alarm back.
      await mum.reload();
      await mum.waitForFunction(() => document.body.dataset.connected === 'true' && document.body.dataset.alarms === '1');
      assert.equal(await textOf(mum, 'alarm-reason'), 'Glucose 48 mg/dL, below 55 mg/dL');

      await mum.getByTestId('ack').click();
      await mum.waitForFunction(() => document.body.dataset.alarms === '0');
      await pat.waitForFunction(() => document.body.dataset.alarms === '0');
      const history = await mum.getByTestId('history-entry').allTextContents();
      assert.ok(history.some((h) => h.includes('You acknowledged')), history.join('\n'));
      const patHistory = await pat.getByTestId('history-entry').allTextContents();
      assert.ok(patHistory.some((h) => h.includes('acknowledged by someone')), patHistory.join('\n'));

      const audit = await server.doseAlarms.auditLog();
      const events = audit.map((e) => `${e.event}${e.recipientId ? `:${e.recipientId}` : ''}`);
      for (const e of ['issued', 'sent:pat', 'delivered:pat', 'escalated', 'sent:mum', 'delivered:mum', 'acknowledged:mum', 'retracted:pat', 'closed']) {
        assert.ok(events.includes(e), `${e} in ${events.join(' ')}`);
      }
      patient.assertClean();
      carer.assertClean();
    } finally {
      await patient.close();
      await carer.close();
    }
  });
});
