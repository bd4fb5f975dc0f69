// Drives the System 1 demo page (examples-web/card.html) in headless Chromium: issuer, companion
// app and card at a POS terminal, and checks what the page shows at every step, i.e. what the
// WebAssembly core decided in the browser. Then reloads the page and checks that the card's state
// came back from IndexedDB exactly, and that "Reset demo" really clears it.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertSdkBuilt,
  launchBrowser,
  openWatchedPage,
  shownErrors,
  startDemoServer,
  textOf,
  waitForSdkReady,
  withWatchedPage,
} from './helpers.mjs';

const CARD_PAGE = 'card.html';
const DAY_S = 86_400;

// --- page driving -------------------------------------------------------------------------------

const currentStep = async (page) => Number(await page.locator('body').getAttribute('data-step'));

/** Waits until the page has finished its start-up step (restoring the stored state). */
async function waitForRestored(page) {
  await waitForSdkReady(page);
  await page.waitForFunction(() => Number(document.body.dataset.step) >= 1 && document.body.dataset.busy === 'false');
}

/** The errors the page shows (its banner, or next to a control); '' when none. */
const bannerText = (page) => shownErrors(page);

/**
 * Clicks a button and waits for its action to finish (each action bumps body[data-step]).
 * Fails if the page shows an error banner, unless `expectError` is set.
 */
async function act(page, testId, { expectError = false } = {}) {
  const before = await currentStep(page);
  await page.getByTestId(testId).click();
  await page.waitForFunction(
    (s) => Number(document.body.dataset.step) > s && document.body.dataset.busy === 'false',
    before,
  );
  const banner = await bannerText(page);
  if (expectError) assert.notEqual(banner, '', `${testId}: an error banner was expected`);
  else assert.equal(banner, '', `${testId}: unexpected error banner`);
  return banner;
}

/** Every limit row of the always-visible table, by limit id. */
async function limits(page) {
  return page.getByTestId('limit-row').evaluateAll((rows) =>
    Object.fromEntries(
      rows.map((row) => {
        const cell = (id) => row.querySelector(`[data-testid="${id}"]`);
        return [
          row.dataset.limitId,
          {
            soft: cell('limit-soft').textContent.trim(),
            limit: cell('limit-limit').textContent.trim(),
            ceiling: cell('limit-ceiling').textContent.trim(),
            used: cell('limit-used').textContent.trim(),
            remaining: cell('limit-remaining').textContent.trim(),
            resetsAt: cell('limit-resets').dataset.unix === '' ? null : Number(cell('limit-resets').dataset.unix),
            resetsText: cell('limit-resets').textContent.trim(),
          },
        ];
      }),
    ),
  );
}

/** used/remaining of one limit. */
async function usage(page, limitId) {
  const all = await limits(page);
  assert.ok(all[limitId], `limit ${limitId} is shown`);
  return { used: all[limitId].used, remaining: all[limitId].remaining };
}

/** What the page shows of the card (and the demo's own counters). */
async function cardState(page) {
  return {
    cardId: await textOf(page, 'card-id'),
    status: await textOf(page, 'card-status'),
    statusState: await page.getByTestId('card-status').getAttribute('data-state'),
    counter: Number(await textOf(page, 'card-counter')),
    offline: Number(await textOf(page, 'card-offline')),
    offlineLimits: await textOf(page, 'card-offline-limits'),
    appKeys: await textOf(page, 'card-app-keys'),
    revision: await textOf(page, 'card-revision'),
    clock: Number(await textOf(page, 'clock-unix')),
    nextCommandSeq: await textOf(page, 'app-next-seq'),
    configSeq: await textOf(page, 'issuer-config-seq'),
    onlineSeq: await textOf(page, 'issuer-online-seq'),
    pendingOnline: await textOf(page, 'pending-online'),
    limits: await limits(page),
  };
}

async function pay(page, amount, { online = false, category = '5411' } = {}) {
  await page.getByTestId('pos-amount').fill(amount);
  await page.getByTestId('pos-mcc').fill(category);
  await page.getByTestId('pos-online').setChecked(online);
  await act(page, 'pos-pay');
  return {
    decision: await textOf(page, 'pos-decision'),
    code: await textOf(page, 'pos-code'),
    explain: await textOf(page, 'pos-explain'),
    txid: await textOf(page, 'pos-txid'),
    counter: Number(await textOf(page, 'pos-counter')),
    offline: Number(await textOf(page, 'pos-offline')),
  };
}

async function preview(page, amount, { online = false } = {}) {
  await page.getByTestId('preview-amount').fill(amount);
  await page.getByTestId('preview-online').setChecked(online);
  await act(page, 'preview-run');
  return {
    decision: await textOf(page, 'preview-decision'),
    code: await textOf(page, 'preview-code'),
    explain: await textOf(page, 'preview-explain'),
  };
}

/** Sends one app command (op: set | change | reset | block | unblock), optionally tampered. */
async function command(page, op, { limit = 'daily-count', value, delta, tamper = 'none' } = {}) {
  if (op === 'set' || op === 'change' || op === 'reset') await page.getByTestId('cmd-limit').selectOption(limit);
  if (value !== undefined) await page.getByTestId('cmd-value').fill(value);
  if (delta !== undefined) await page.getByTestId('cmd-delta').fill(delta);
  await page.getByTestId('cmd-tamper').selectOption(tamper);
  await act(page, `cmd-${op}`);
  assert.equal(await page.getByTestId('cmd-tamper').inputValue(), 'none', 'a tamper applies to one command only');
  return {
    code: await textOf(page, 'cmd-code'),
    explain: await textOf(page, 'cmd-explain'),
    note: await textOf(page, 'cmd-note'),
  };
}

async function generateAndProvision(page) {
  await act(page, 'keys-generate');
  await act(page, 'provision');
  assert.equal(await textOf(page, 'provision-code'), 'CONFIG_APPLIED');
}

// --- tests --------------------------------------------------------------------------------------

describe('browser demo: card usage counter set by a companion app', () => {
  let browser;
  let server;
  let cardUrl;

  before(async () => {
    assertSdkBuilt();
    server = await startDemoServer();
    browser = await launchBrowser();
    cardUrl = new URL(CARD_PAGE, server.url).href;
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('provision, pay to the soft and hard thresholds, go online, app commands and tampering, clock rollover, reload', async () => {
    await withWatchedPage(browser, async (page) => {
      await page.goto(cardUrl);
      await waitForRestored(page);
      assert.equal(await textOf(page, 'restore-status'), 'nothing stored yet');
      assert.equal(await page.getByTestId('pos-pay').isDisabled(), true, 'no card: nothing to pay with');

      // --- issuer: keys, card, configuration -------------------------------------------------
      await act(page, 'keys-generate');
      let state = await cardState(page);
      assert.match(state.cardId, /^card-[0-9a-f]{8}$/);
      assert.equal(state.status, 'unprovisioned');
      assert.deepEqual(state.limits, {});
      assert.match(await textOf(page, 'issuer-public-key'), /^issuer-1 · EdDSA · [0-9a-f]{64}$/);
      assert.match(await textOf(page, 'app-public-key'), /^app-1 · EdDSA · [0-9a-f]{64}$/);
      assert.equal(await page.getByTestId('keys-generate').isDisabled(), true);
      assert.equal(await page.getByTestId('cmd-set').isDisabled(), true, 'no commands before provisioning');

      await act(page, 'provision');
      assert.equal(await textOf(page, 'provision-code'), 'CONFIG_APPLIED');
      assert.ok((await textOf(page, 'provision-explain')).length > 0);
      state = await cardState(page);
      assert.equal(state.status, 'active');
      assert.equal(state.statusState, 'active');
      assert.equal(state.counter, 0);
      assert.equal(state.offlineLimits, '(soft 5, hard 8)');
      assert.equal(state.appKeys, 'app-1');
      assert.equal(state.configSeq, '1');
      const clock0 = state.clock;
      assert.ok(Math.abs(clock0 - Date.now() / 1000) < 600, 'the simulated clock starts at the real time');
      const { 'daily-count': count0, 'daily-amount': amount0, 'per-payment': cap0 } = state.limits;
      assert.deepEqual(Object.keys(state.limits), ['daily-count', 'daily-amount', 'per-payment']);
      assert.deepEqual(
        { soft: count0.soft, limit: count0.limit, ceiling: count0.ceiling, used: count0.used, remaining: count0.remaining },
        { soft: '3', limit: '5', ceiling: '10', used: '0', remaining: '5' },
      );
      assert.deepEqual(
        { soft: amount0.soft, limit: amount0.limit, ceiling: amount0.ceiling, used: amount0.used, remaining: amount0.remaining },
        { soft: '80.00', limit: '100.00', ceiling: '500.00', used: '0.00', remaining: '100.00' },
      );
      assert.deepEqual(
        { limit: cap0.limit, used: cap0.used, remaining: cap0.remaining, resetsAt: cap0.resetsAt },
        { limit: '60.00', used: '0.00', remaining: '60.00', resetsAt: null },
      );
      // A daily window in Europe/Paris resets at the next local midnight there: within 25 h.
      assert.ok(count0.resetsAt > clock0 && count0.resetsAt <= clock0 + 25 * 3600, `resetsAt ${count0.resetsAt} vs clock ${clock0}`);
      assert.equal(amount0.resetsAt, count0.resetsAt);
      assert.match(count0.resetsText, /\bin \d+ (h|min)/, 'resetsAt is shown as a local time with the time left');

      // --- POS: under the soft threshold, offline -------------------------------------------
      let r = await pay(page, '10.00');
      assert.deepEqual([r.decision, r.code, r.txid, r.counter, r.offline], ['approve', 'APPROVED', 'tx-0001', 1, 1]);
      assert.deepEqual(await usage(page, 'daily-count'), { used: '1', remaining: '4' });
      assert.deepEqual(await usage(page, 'daily-amount'), { used: '10.00', remaining: '90.00' });
      assert.equal((await cardState(page)).counter, 1);

      // A malformed request is an error (banner with its code), not a decision: nothing recorded.
      await page.getByTestId('pos-amount').fill('ten euros');
      await act(page, 'pos-pay', { expectError: true });
      assert.equal(await textOf(page, 'pos-pay-error-code'), 'AMOUNT_SYNTAX', 'the error shows next to Pay');
      assert.equal((await cardState(page)).counter, 1);

      r = await pay(page, '10.00', { category: '7995' });
      assert.deepEqual([r.decision, r.code, r.counter], ['decline', 'MERCHANT_CATEGORY_BLOCKED', 2]);
      assert.equal(await bannerText(page), '', 'the banner clears on the next action');
      assert.deepEqual(await usage(page, 'daily-count'), { used: '1', remaining: '4' }, 'a decline counts nothing');

      r = await pay(page, '10.00');
      assert.deepEqual([r.decision, r.code, r.counter, r.offline], ['approve', 'APPROVED', 3, 2]);
      r = await pay(page, '10.00', { online: true });
      assert.deepEqual([r.decision, r.code, r.counter, r.offline], ['approve', 'APPROVED', 4, 3], 'at the soft threshold, not past it');
      assert.deepEqual(await usage(page, 'daily-count'), { used: '3', remaining: '2' });

      // --- past the soft threshold with the terminal online: go online ----------------------
      r = await pay(page, '10.00', { online: true });
      assert.deepEqual([r.decision, r.code, r.txid, r.counter, r.offline], ['go-online', 'SOFT_LIMIT_REACHED', 'tx-0005', 5, 3]);
      assert.match(r.explain, /daily-count.*soft threshold \(3\).*online/);
      assert.deepEqual(await usage(page, 'daily-count'), { used: '3', remaining: '2' }, 'nothing counted while online');
      assert.equal(await textOf(page, 'pending-online'), 'tx-0005: 10.00 EUR');

      // --- the app's preview: would this be approved, and why? (records nothing) -------------
      let p = await preview(page, '5.00');
      assert.deepEqual([p.decision, p.code], ['approve', 'SOFT_LIMIT_REACHED']);
      assert.match(p.explain, /offline/);
      p = await preview(page, '5.00', { online: true });
      assert.deepEqual([p.decision, p.code], ['go-online', 'SOFT_LIMIT_REACHED']);
      p = await preview(page, '70.00');
      assert.deepEqual([p.decision, p.code], ['decline', 'TRANSACTION_LIMIT_EXCEEDED']);
      assert.match(p.explain, /60\.00/);
      state = await cardState(page);
      assert.equal(state.counter, 5, 'a preview changes nothing');
      assert.deepEqual(await usage(page, 'daily-count'), { used: '3', remaining: '2' });

      // --- issuer: online approval + consecutive-offline reset -----------------------------
      await act(page, 'go-online');
      assert.equal(await textOf(page, 'online-code'), 'ONLINE_RESULT_APPLIED');
      assert.equal(await textOf(page, 'online-decision'), 'approve');
      state = await cardState(page);
      assert.equal(state.offline, 0, 'the online result resets the consecutive-offline counter');
      assert.equal(state.counter, 5);
      assert.equal(state.onlineSeq, '1');
      assert.equal(state.pendingOnline, 'none');
      assert.deepEqual(await usage(page, 'daily-count'), { used: '4', remaining: '1' }, 'the approved transaction counts');
      assert.deepEqual(await usage(page, 'daily-amount'), { used: '40.00', remaining: '60.00' });
      // The terminal completes the transaction with the issuer's answer, counted once.
      assert.equal(await textOf(page, 'pos-code'), 'ONLINE_APPROVED');
      assert.equal(await textOf(page, 'pos-txid'), 'tx-0005 (repeated)');

      // --- to the hard threshold -------------------------------------------------------------
      r = await pay(page, '10.00');
      assert.deepEqual([r.decision, r.code, r.counter, r.offline], ['approve', 'SOFT_LIMIT_REACHED', 6, 1], 'offline past soft: approved offline');
      assert.deepEqual(await usage(page, 'daily-count'), { used: '5', remaining: '0' });
      r = await pay(page, '10.00');
      assert.deepEqual([r.decision, r.code, r.counter, r.offline], ['decline', 'HARD_LIMIT_REACHED', 7, 1]);
      assert.match(r.explain, /daily-count.*hard limit \(5\)/);
      r = await pay(page, '10.00', { online: true });
      assert.deepEqual([r.decision, r.code], ['decline', 'HARD_LIMIT_REACHED'], 'an online terminal changes nothing at the hard limit');
      assert.deepEqual(await usage(page, 'daily-count'), { used: '5', remaining: '0' });

      // --- companion app: raise the limit, the ceiling, tampering -----------------------------
      assert.equal((await cardState(page)).nextCommandSeq, '1');
      let c = await command(page, 'change', { delta: '+2' });
      assert.equal(c.code, 'COMMAND_APPLIED');
      assert.deepEqual(await usage(page, 'daily-count'), { used: '5', remaining: '2' }, 'remaining grows by 2');
      assert.equal((await limits(page))['daily-count'].limit, '7');
      assert.equal((await cardState(page)).nextCommandSeq, '2');

      c = await command(page, 'set', { value: '11' });
      assert.equal(c.code, 'ABOVE_CEILING');
      assert.match(c.explain, /ceiling for daily-count \(10\)/);
      assert.equal((await limits(page))['daily-count'].limit, '7');

      c = await command(page, 'block', { tamper: 'flip' });
      assert.equal(c.code, 'BAD_SIGNATURE', 'a flipped payload byte breaks the signature');
      assert.match(c.note, /Flipped one bit/);
      assert.equal((await cardState(page)).status, 'active');

      c = await command(page, 'set', { value: '9', tamper: 'replay' });
      assert.equal(c.code, 'REPLAYED', 'the accepted "change +2" sent again');
      assert.match(c.note, /change daily-count by \+2/);
      assert.equal((await limits(page))['daily-count'].limit, '7', 'the replay did not raise the limit again');

      c = await command(page, 'block', { tamper: 'unknown-key' });
      assert.equal(c.code, 'UNKNOWN_KEY');
      c = await command(page, 'block', { tamper: 'forged' });
      assert.equal(c.code, 'BAD_SIGNATURE');
      c = await command(page, 'block', { tamper: 'other-card' });
      assert.equal(c.code, 'WRONG_CARD');
      for (const code of ['BAD_SIGNATURE', 'UNKNOWN_KEY', 'WRONG_CARD']) {
        assert.ok((await page.getByTestId('log-entry').allTextContents()).some((t) => t.includes(code)), `the log shows ${code}`);
      }
      assert.equal((await cardState(page)).status, 'active', 'no refused command changed the card');

      c = await command(page, 'reset', { limit: 'daily-amount' });
      assert.equal(c.code, 'NOT_RESETTABLE');

      // --- block / unblock -------------------------------------------------------------------
      c = await command(page, 'block');
      assert.equal(c.code, 'COMMAND_APPLIED');
      state = await cardState(page);
      assert.equal(state.status, 'blocked');
      r = await pay(page, '1.00');
      assert.deepEqual([r.decision, r.code, r.counter], ['decline', 'CARD_BLOCKED', 9]);
      c = await command(page, 'unblock');
      assert.equal(c.code, 'COMMAND_APPLIED');
      assert.equal((await cardState(page)).status, 'active');

      // --- reversal of the last transaction -------------------------------------------------
      r = await pay(page, '5.00');
      assert.deepEqual([r.decision, r.code, r.counter], ['approve', 'SOFT_LIMIT_REACHED', 10]);
      assert.deepEqual(await usage(page, 'daily-count'), { used: '6', remaining: '1' });
      assert.deepEqual(await usage(page, 'daily-amount'), { used: '55.00', remaining: '45.00' });
      await act(page, 'pos-reverse');
      assert.equal(await textOf(page, 'pos-reverse-code'), 'REVERSED');
      assert.deepEqual(await usage(page, 'daily-count'), { used: '5', remaining: '2' }, 'a reversal gives the count back');
      assert.deepEqual(await usage(page, 'daily-amount'), { used: '50.00', remaining: '50.00' });

      // --- the day rolls over ----------------------------------------------------------------
      const resetsBefore = (await limits(page))['daily-count'].resetsAt;
      await act(page, 'clock-plus-hour');
      assert.equal((await cardState(page)).clock, clock0 + 3600);
      await act(page, 'clock-plus-day');
      // A 25-hour day (end of DST) may need one more hour to pass local midnight.
      while ((await cardState(page)).clock < resetsBefore) await act(page, 'clock-plus-hour');
      state = await cardState(page);
      assert.ok(state.clock >= resetsBefore, 'the clock is past the old resetsAt');
      assert.deepEqual(await usage(page, 'daily-count'), { used: '0', remaining: '7' });
      assert.deepEqual(await usage(page, 'daily-amount'), { used: '0.00', remaining: '100.00' });
      assert.ok(state.limits['daily-count'].resetsAt > state.clock, 'the new window resets later');
      assert.ok(state.limits['daily-count'].resetsAt >= resetsBefore + DAY_S - 3600);

      // --- reload: everything comes back from IndexedDB and localStorage ---------------------
      const beforeReload = await cardState(page);
      await page.reload();
      await waitForRestored(page);
      assert.match(await textOf(page, 'restore-status'), /^restored card-[0-9a-f]{8} from its authenticated IndexedDB snapshot/);
      assert.deepEqual(await cardState(page), beforeReload);
      assert.equal(beforeReload.status, 'active');
      assert.equal(beforeReload.counter, 10);

      r = await pay(page, '10.00');
      assert.deepEqual([r.decision, r.code, r.txid, r.counter], ['approve', 'APPROVED', 'tx-0011', beforeReload.counter + 1]);
      assert.deepEqual(await usage(page, 'daily-count'), { used: '1', remaining: '6' });
      assert.equal(await page.getByTestId('save-status').getAttribute('data-state'), 'saved');

      // The app's last accepted command and its sequence counter survived the reload too. That
      // command's envelope was valid for minutes and the clock has moved on a day: expiry is
      // checked before the sequence number, so the replay is refused as EXPIRED.
      c = await command(page, 'block', { tamper: 'replay' });
      assert.equal(c.code, 'EXPIRED');
      assert.match(c.note, /"unblock" \(seq 9\)/);
      c = await command(page, 'change', { delta: '-1' });
      assert.equal(c.code, 'COMMAND_APPLIED', 'a fresh sequence number after the reload');
      assert.deepEqual(await usage(page, 'daily-count'), { used: '1', remaining: '5' });
    });
  });

  test('"Reset demo" leaves a fresh, unprovisioned demo, also after a reload', async () => {
    await withWatchedPage(browser, async (page) => {
      await page.goto(cardUrl);
      await waitForRestored(page);
      await generateAndProvision(page);
      await pay(page, '10.00');
      const oldCardId = (await cardState(page)).cardId;
      const stored = await page.evaluate(async () => ({
        keys: Object.keys(localStorage).sort(),
        dbs: (await indexedDB.databases()).map((d) => d.name),
      }));
      assert.deepEqual(stored.keys, ['countersign-demo:snapshot-key', 'countersign-demo:state']);
      assert.ok(stored.dbs.includes('countersign-demo'));

      const expectFresh = async () => {
        const state = await cardState(page);
        assert.equal(state.cardId, '—');
        assert.equal(state.status, 'no card');
        assert.equal(state.statusState, 'none');
        assert.equal(state.counter, 0);
        assert.deepEqual(state.limits, {});
        assert.equal(state.nextCommandSeq, '1');
        assert.equal(state.configSeq, '0');
        assert.equal(await textOf(page, 'issuer-public-key'), 'none yet');
        assert.equal(await page.getByTestId('keys-generate').isEnabled(), true);
        assert.equal(await page.getByTestId('pos-pay').isDisabled(), true);
        assert.equal(await page.getByTestId('log-entry').count(), 0);
      };
      await act(page, 'reset-demo');
      await expectFresh();
      const cleared = await page.evaluate(async () => ({
        keys: Object.keys(localStorage),
        dbs: (await indexedDB.databases()).map((d) => d.name),
      }));
      assert.deepEqual(cleared.keys, []);
      assert.ok(!cleared.dbs.includes('countersign-demo'), 'the IndexedDB database is deleted');

      await page.reload();
      await waitForRestored(page);
      assert.equal(await textOf(page, 'restore-status'), 'nothing stored yet');
      await expectFresh();

      // A new card starts from scratch.
      await generateAndProvision(page);
      const state = await cardState(page);
      assert.notEqual(state.cardId, oldCardId);
      assert.equal(state.counter, 0);
      assert.deepEqual(await usage(page, 'daily-count'), { used: '0', remaining: '5' });
    });
  });

  test('a second tab working on a stale copy of the card: its save loses the compare-and-swap and says so', async () => {
    const watched = await openWatchedPage(browser);
    try {
      const tabA = watched.page;
      const tabB = await tabA.context().newPage();
      tabB.on('pageerror', (error) => watched.problems.push(`tab B pageerror: ${error.message}`));
      tabB.on('console', (m) => {
        if (m.type() === 'error') watched.problems.push(`tab B console.error: ${m.text()}`);
      });

      // Each tab is brought to the front before it is driven: a background tab runs its
      // requestAnimationFrame (which Playwright's waits poll with) only now and then.
      await tabA.goto(cardUrl);
      await waitForRestored(tabA);
      await generateAndProvision(tabA);
      await tabB.bringToFront();
      await tabB.goto(cardUrl);
      await waitForRestored(tabB);
      assert.equal((await cardState(tabB)).status, 'active');

      await tabA.bringToFront();
      let r = await pay(tabA, '10.00');
      assert.equal(r.counter, 1);
      assert.equal(await tabA.getByTestId('save-status').getAttribute('data-state'), 'saved');

      await tabB.bringToFront();
      r = await pay(tabB, '20.00'); // B still holds the card as it was before A's payment
      assert.equal(r.code, 'APPROVED');
      assert.equal(await tabB.getByTestId('save-status').getAttribute('data-state'), 'conflict');
      assert.match(await textOf(tabB, 'save-status'), /NOT saved.*compare-and-swap/);

      await tabB.reload();
      await waitForRestored(tabB);
      const state = await cardState(tabB);
      assert.equal(state.counter, 1, 'the stored card is tab A\'s');
      assert.deepEqual(await usage(tabB, 'daily-amount'), { used: '10.00', remaining: '90.00' });
      watched.assertClean();
    } finally {
      await watched.close();
    }
  });
});
