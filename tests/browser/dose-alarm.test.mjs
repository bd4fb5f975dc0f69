// Drives System 9's patient page (examples-web/dose.html) and the caregiver page
// (dose-caregiver.html?as=mum) in two Chromium tabs against the demo server's real alarm WebSocket
// (scripts/serve.mjs, AlarmDeliveryServer): the simulated controller plays readings into an urgent
// low; the patient page raises it at the router and shows it (priority, who has been told, the
// ladder's next step); a 30-minute snooze is refused by the router and the refusal is shown; a
// 5-minute snooze is taken; the patient page reloads and still shows it snoozed; the server's
// clock moves past the snooze and the patient's step, so the alarm escalates to the caregiver's
// tab; the caregiver acknowledges there and the alarm closes on the patient page. Then an
// occlusion escalated to the caregiver is acknowledged on the patient page (gone from both), and
// one cleared at the pump is retracted as resolved. The server's
// clock is the test's (a fixed offset from real time, moved forward), so nothing waits 5 minutes.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertSdkBuilt, launchBrowser, openWatchedPage, startDemoServer, textOf, waitForSdkReady } from './helpers.mjs';
import { DOSE_DEMO_SETUP, DOSE_DEMO_TOKENS } from '../../scripts/serve.mjs';

const PATIENT_STEP_MS = 20_000; // long enough to snooze before the caregiver is told
const LADDER = {
  ...DOSE_DEMO_SETUP,
  policies: [
    { priority: 'high', steps: [{ role: 'patient', ackTimeoutMs: PATIENT_STEP_MS }, { role: 'caregiver', ackTimeoutMs: 60_000 }, { role: 'doctor', ackTimeoutMs: 60_000 }] },
    { steps: [{ role: 'patient', ackTimeoutMs: 3_600_000 }, { role: 'caregiver', ackTimeoutMs: 3_600_000 }] },
  ],
};
const PLAY_CLICKS_MAX = 8; // "play until the next alarm" clicks before an urgent low must have opened

const panelAttr = (page, name) => page.getByTestId('alarm-panel').getAttribute(`data-${name}`);

async function act(page, testId) {
  const before = Number(await page.locator('body').getAttribute('data-step'));
  await page.getByTestId(testId).click();
  await page.waitForFunction((s) => Number(document.body.dataset.step) > s && document.body.dataset.busy === 'false', before);
}

describe('browser demo: the patient page routes its alarms to the caregiver page', () => {
  let browser;
  let server;
  let offsetMs = 0;

  before(async () => {
    assertSdkBuilt();
    server = await startDemoServer({ doseAlarms: { setup: LADDER, tokens: DOSE_DEMO_TOKENS, tickIntervalMs: 100, clock: () => Date.now() + offsetMs } });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('an urgent low: shown, a too-long snooze refused, snoozed, reload, escalated to the caregiver, acknowledged there, closed on the patient page; acknowledged on the patient page; resolved', async () => {
    const patient = await openWatchedPage(browser);
    const carer = await openWatchedPage(browser);
    try {
      const pat = patient.page;
      const mum = carer.page;
      await mum.goto(new URL('dose-caregiver.html?as=mum', server.url).href);
      await pat.goto(new URL('dose.html', server.url).href);
      await waitForSdkReady(pat);
      await pat.waitForFunction(() => document.querySelector('[data-testid="alarm-actions"]')?.dataset.connected === 'true');
      await mum.waitForFunction(() => document.body.dataset.connected === 'true');
      assert.equal(await panelAttr(pat, 'state'), 'none');

      // Readings until the night's urgent low opens (a low comes first).
      for (let i = 0; i < PLAY_CLICKS_MAX && (await pat.getByTestId('current-alarm').getAttribute('data-kind')) !== 'urgent-low'; i++) {
        await act(pat, 'play-until-alarm');
      }
      assert.equal(await pat.getByTestId('current-alarm').getAttribute('data-kind'), 'urgent-low');
      // The router has it: step 1 of 3, told the patient, the caregiver next.
      await pat.waitForFunction(() => document.querySelector('[data-testid="alarm-panel"]')?.dataset.kind === 'urgent-low');
      const alarmId = await panelAttr(pat, 'alarm-id');
      assert.match(alarmId, /^urgent-low:\d+$/);
      assert.equal(await panelAttr(pat, 'priority'), 'high');
      assert.equal(await panelAttr(pat, 'state'), 'ringing');
      assert.equal(await textOf(pat, 'alarm-what'), 'Urgent low glucose');
      assert.match(await textOf(pat, 'alarm-priority'), /^High priority/);
      assert.equal(await textOf(pat, 'alarm-told'), 'Told: the patient');
      assert.match(await textOf(pat, 'alarm-next'), /^At step 1 of 3\. Next: the caregiver in \d+ s/);

      // 30 minutes is beyond what an urgent low may be snoozed: refused in words, nothing changed.
      await pat.getByTestId('alarm-snooze-duration').selectOption('30');
      await pat.getByTestId('alarm-snooze').click();
      await pat.getByTestId('alarm-refusal').waitFor();
      const refusal = await textOf(pat, 'alarm-refusal');
      assert.match(refusal, /Snoozing Urgent low glucose for 30 min: refused by the alarm router, nothing changed\./, refusal);
      assert.match(refusal, /durationMs/, refusal);
      assert.equal(await panelAttr(pat, 'state'), 'ringing');

      // 5 minutes is taken: the alarm is muted (its holders are told so) until the snooze ends.
      await pat.getByTestId('alarm-snooze-duration').selectOption('5');
      await pat.getByTestId('alarm-snooze').click();
      await pat.waitForFunction(() => document.querySelector('[data-testid="alarm-panel"]')?.dataset.state === 'snoozed');
      assert.equal(await pat.getByTestId('alarm-refusal').count(), 0, 'the refusal is gone once a snooze is taken');
      assert.match(await textOf(pat, 'alarm-next'), /^Snoozed until .* then it rings again, from the patient\./);

      // A reload: the server's status brings the snoozed alarm back; the page raises nothing twice.
      await pat.reload();
      await waitForSdkReady(pat);
      await pat.waitForFunction((id) => document.querySelector('[data-testid="alarm-panel"]')?.dataset.alarmId === id, alarmId);
      assert.equal(await panelAttr(pat, 'state'), 'snoozed');

      // The snooze ends (the server's clock moves 5 min): it rings again from the patient; nobody
      // answers for the patient's step, so the caregiver's tab gets it.
      offsetMs += 5 * 60_000 + 1_000;
      await pat.waitForFunction(() => document.querySelector('[data-testid="alarm-panel"]')?.dataset.state === 'ringing');
      offsetMs += PATIENT_STEP_MS + 1_000;
      const card = mum.locator(`[data-testid="alarm"][data-alarm-id="${alarmId}"]`);
      await card.waitFor({ timeout: 10_000 });
      assert.match(await card.getByTestId('alarm-meta').textContent(), /high priority .* escalated to the caregiver/);
      await pat.waitForFunction(() => /Mum \(caregiver\)/.test(document.querySelector('[data-testid="alarm-told"]')?.textContent ?? ''));
      assert.match(await textOf(pat, 'alarm-next'), /^At step 2 of 3\. Next: the doctor/);

      // The caregiver acknowledges: the alarm closes on the patient page too.
      await card.getByTestId('ack').click();
      await card.waitFor({ state: 'detached' });
      await pat.waitForFunction((id) => !(document.querySelector('[data-testid="alarm-actions"]')?.dataset.open ?? '').split(',').includes(id), alarmId);
      const closed = await textOf(pat, 'alarm-closed');
      assert.ok(closed.includes(`Urgent low glucose (${alarmId}): acknowledged`), closed);

      const audit = await server.doseAlarms.auditLog();
      const events = audit.filter((e) => e.alarmId === alarmId).map((e) => `${e.event}${e.recipientId ? `:${e.recipientId}` : ''}`);
      for (const e of ['issued', 'sent:pat', 'delivered:pat', 'snoozed:pat', 'snooze-expired', 'escalated', 'sent:mum', 'delivered:mum', 'acknowledged:mum', 'closed']) {
        assert.ok(events.includes(e), `${e} in ${events.join(' ')}`);
      }
      assert.equal(events.filter((e) => e === 'issued').length, 1, 'raised once, whatever the reloads and reconnections');

      // An occlusion, escalated to the caregiver, acknowledged on the patient page: gone from both.
      await act(pat, 'inject-occlusion');
      await pat.waitForFunction(() => document.querySelector('[data-testid="alarm-panel"]')?.dataset.kind === 'occlusion');
      const occlusionId = await panelAttr(pat, 'alarm-id');
      offsetMs += PATIENT_STEP_MS + 1_000;
      const occlusionCard = mum.locator(`[data-testid="alarm"][data-alarm-id="${occlusionId}"]`);
      await occlusionCard.waitFor({ timeout: 10_000 });
      await pat.getByTestId('alarm-ack').click();
      await occlusionCard.waitFor({ state: 'detached' });
      await pat.waitForFunction((id) => (document.querySelector('[data-testid="alarm-closed"]')?.textContent ?? '').includes(`(${id}): acknowledged`), occlusionId);
      assert.match(await textOf(pat, 'alarm-note'), /You acknowledged the alarm/);
      const occlusionEvents = (await server.doseAlarms.auditLog()).filter((e) => e.alarmId === occlusionId).map((e) => `${e.event}${e.recipientId ? `:${e.recipientId}` : ''}`);
      for (const e of ['sent:mum', 'acknowledged:pat', 'retracted:mum', 'closed']) assert.ok(occlusionEvents.includes(e), `${e} in ${occlusionEvents.join(' ')}`);

      // Resolution retracts: a new occlusion, cleared at the pump before anyone answers.
      await act(pat, 'clear-occlusion');
      await act(pat, 'inject-occlusion');
      await pat.waitForFunction((id) => {
        const panel = document.querySelector('[data-testid="alarm-panel"]');
        return panel?.dataset.kind === 'occlusion' && panel.dataset.alarmId !== id;
      }, occlusionId);
      const secondId = await panelAttr(pat, 'alarm-id');
      await act(pat, 'clear-occlusion');
      await pat.waitForFunction((id) => (document.querySelector('[data-testid="alarm-closed"]')?.textContent ?? '').includes(`(${id}): resolved: the condition is over`), secondId);
      assert.ok(!(await pat.getByTestId('alarm-actions').getAttribute('data-open')).split(',').includes(secondId));
      const second = (await server.doseAlarms.auditLog()).filter((e) => e.alarmId === secondId).map((e) => `${e.event}${e.recipientId ? `:${e.recipientId}` : ''}`);
      for (const e of ['issued', 'sent:pat', 'retracted:pat', 'closed']) assert.ok(second.includes(e), `${e} in ${second.join(' ')}`);
      assert.ok(!second.some((e) => e.startsWith('acknowledged')), second.join(' '));
      patient.assertClean();
      carer.assertClean();
    } finally {
      await patient.close();
      await carer.close();
    }
  });

  test('two patient tabs: the newer holds the connection, the older says so and takes it back only when asked (no tug of war)', async () => {
    const first = await openWatchedPage(browser);
    const second = await openWatchedPage(browser);
    const connection = (page) => page.getByTestId('alarm-connection').textContent();
    try {
      for (const { page } of [first, second]) {
        await page.goto(new URL('dose.html', server.url).href);
        await waitForSdkReady(page);
        await page.waitForFunction(() => document.querySelector('[data-testid="alarm-actions"]')?.dataset.connected === 'true');
      }
      await first.page.getByTestId('alarm-reconnect').waitFor();
      assert.equal(await connection(first.page), 'in another tab');
      assert.equal(await connection(second.page), 'connected');
      await first.page.getByTestId('alarm-reconnect').click();
      await second.page.getByTestId('alarm-reconnect').waitFor();
      assert.equal(await connection(second.page), 'in another tab');
      await first.page.waitForFunction(() => document.querySelector('[data-testid="alarm-actions"]')?.dataset.connected === 'true');
      first.assertClean();
      second.assertClean();
    } finally {
      await first.close();
      await second.close();
    }
  });
});
