// The usability checks of page-checks.mjs on every demo page (card, tempcard, energy, shelf, custody-proof, primitives),
// then what the issue found on particular pages: the energy page's one-order-at-a-time, its event
// log's direction and colours, card numbers typed with spaces, whole-number ratios.
//
// A new demo page adds its description here: its actions, a bad input for each, what each control
// shows, and how a reload in the middle of an action must end.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { checkPage } from './page-checks.mjs';
import { assertSdkBuilt, launchBrowser, openWatchedPage, shownErrors, startDemoServer, textOf, waitForSdkReady } from './helpers.mjs';

const number = async (page, testId) => Number.parseFloat((await textOf(page, testId)).replace(/[^\d.-]/g, ''));
const logCount = (page, text = '') =>
  page.getByTestId('log-entry').evaluateAll((items, t) => items.filter((li) => li.textContent.includes(t)).length, text);

// --- System 1: card ---------------------------------------------------------------------------

const CARD_PAY = ['pos-decision', 'pos-code', 'pos-explain'];
checkPage({
  name: 'card',
  path: 'card.html',
  async setup(page, h) {
    await h.act('keys-generate');
    await h.act('provision');
  },
  actions: [
    {
      control: 'preview-run',
      good: (page) => page.getByTestId('preview-amount').fill('5.00'),
      bad: (page) => page.getByTestId('preview-amount').fill('0'),
      field: 'preview-amount',
      outcome: ['preview-decision', 'preview-code', 'preview-explain'],
    },
    {
      control: 'pos-pay',
      good: (page) => page.getByTestId('pos-amount').fill('1.00'),
      bad: (page) => page.getByTestId('pos-amount').fill('ten euros'),
      field: 'pos-amount',
      outcome: CARD_PAY,
      ran: (page) => number(page, 'card-counter'),
    },
    {
      control: 'pos-pay',
      good: (page) => page.getByTestId('pos-mcc').fill('5411'),
      bad: (page) => page.getByTestId('pos-mcc').fill('12'),
      field: 'pos-mcc',
      outcome: CARD_PAY,
    },
    {
      control: 'provision',
      good: (page) => page.getByTestId('cfg-offline-soft').fill('5'),
      bad: (page) => page.getByTestId('cfg-offline-soft').fill('1e3'),
      field: 'cfg-offline-soft',
      outcome: ['provision-code', 'provision-explain'],
      ran: (page) => number(page, 'issuer-config-seq'),
    },
    {
      control: 'provision',
      good: (page) => page.getByTestId('cfg-count-hard').fill('5'),
      bad: (page) => page.getByTestId('cfg-count-hard').fill(''),
      field: 'cfg-count-hard',
      outcome: ['provision-code', 'provision-explain'],
    },
    {
      control: 'provision',
      good: (page) => page.getByTestId('cfg-amount-hard').fill('100.00'),
      bad: (page) => page.getByTestId('cfg-amount-hard').fill('abc'),
      field: 'cfg-amount-hard',
      outcome: ['provision-code', 'provision-explain'],
    },
    {
      control: 'cmd-change',
      good: (page) => page.getByTestId('cmd-delta').fill('2'),
      bad: (page) => page.getByTestId('cmd-delta').fill(''),
      field: 'cmd-delta',
      outcome: ['cmd-code', 'cmd-explain', 'cmd-note'],
      ran: (page) => number(page, 'app-next-seq'),
    },
  ],
  reload: {
    start: (page) => page.getByTestId('pos-pay').click(),
    read: async (page) => ({ counter: await number(page, 'card-counter') }),
    async check(page, seen, h) {
      assert.match(await textOf(page, 'restore-status'), /^restored /);
      const counter = await number(page, 'card-counter');
      assert.ok(counter === seen.counter || counter === seen.counter + 1, `the payment counted at most once (${seen.counter} → ${counter})`);
      await h.act('pos-pay');
      assert.equal(await number(page, 'card-counter'), counter + 1, 'and the card goes on counting');
    },
  },
});

// --- System 2: temporary card -----------------------------------------------------------------

const BUY = ['buy-decision', 'buy-code', 'buy-explain'];
checkPage({
  name: 'tempcard',
  path: 'tempcard.html',
  async setup(page, h) {
    await h.act('approve');
    await h.act('reveal');
  },
  actions: [
    {
      // The case: a CVV_MALFORMED decline, then a different mistake: the old decline goes.
      control: 'buy',
      async good(page) {
        await page.getByTestId('buy-cvv').fill('12');
        await page.getByTestId('buy-amount').fill('50.00');
      },
      bad: (page) => page.getByTestId('buy-amount').fill('fifty'),
      field: 'buy-amount',
      outcome: BUY,
      ran: (page) => logCount(page, 'auth-'),
    },
    {
      control: 'approve',
      good: (page) => page.getByTestId('ap-display-min').fill('5'),
      bad: (page) => page.getByTestId('ap-display-min').fill('1e3'),
      field: 'ap-display-min',
      outcome: ['approve-code', 'approve-explain'],
      ran: (page) => logCount(page, 'application refused'),
    },
    {
      control: 'approve',
      good: (page) => page.getByTestId('ap-usable-h').fill('24'),
      bad: (page) => page.getByTestId('ap-usable-h').fill('-5'),
      field: 'ap-usable-h',
      outcome: ['approve-code', 'approve-explain'],
    },
    {
      control: 'refund',
      prepare: (page, h) => h.act('buy'),
      good: (page) => page.getByTestId('refund-amount').fill('1.00'),
      bad: (page) => page.getByTestId('refund-amount').fill('x'),
      field: 'refund-amount',
      outcome: ['refund-code', 'refund-explain'],
      ran: (page) => logCount(page, 'refund '),
    },
  ],
  reload: {
    start: (page) => page.getByTestId('buy').click(),
    read: async (page) => ({ spent: await number(page, 'account-spent') }),
    async check(page, seen, h) {
      assert.match(await textOf(page, 'restore-status'), /^restored the issuer/);
      const spent = await number(page, 'account-spent');
      assert.ok(spent === seen.spent || spent === seen.spent + 50, `the purchase counted at most once (${seen.spent} → ${spent})`);
      await h.act('reveal');
      await h.act('buy');
      assert.notEqual(await textOf(page, 'buy-code'), '', 'and the shop goes on buying');
    },
  },
});

// --- System 3: energy -------------------------------------------------------------------------

const order = async (page, h, maximum = '50.00') => {
  await page.getByTestId('order-maximum').fill(maximum);
  await h.act('order-send');
};
checkPage({
  name: 'energy',
  path: 'energy.html',
  setup: (page, h) => h.act('setup'),
  actions: [
    {
      control: 'topup',
      good: (page) => page.getByTestId('topup-amount').fill('20.00'),
      bad: (page) => page.getByTestId('topup-amount').fill('-5'),
      field: 'topup-amount',
      outcome: ['topup-code', 'topup-explain'],
      ran: (page) => logCount(page, 'top-up'),
    },
    {
      control: 'topup',
      good: (page) => page.getByTestId('topup-amount').fill('20.00'),
      bad: (page) => page.getByTestId('topup-amount').fill('0'),
      field: 'topup-amount',
      outcome: ['topup-code', 'topup-explain'],
    },
    {
      control: 'order-send',
      // Declined (more than the balance), so Order stays available for the bad try.
      good: (page) => page.getByTestId('order-maximum').fill('500.00'),
      bad: (page) => page.getByTestId('order-maximum').fill('x'),
      field: 'order-maximum',
      outcome: ['order-code', 'order-explain'],
      ran: (page) => logCount(page, 'energy.order'),
    },
    {
      control: 'meter-run',
      prepare: (page, h) => order(page, h),
      // 3 L is 6 ticks: long enough for a second click while the meter runs.
      good: (page) => page.getByTestId('meter-litres').fill('3.00'),
      bad: (page) => page.getByTestId('meter-litres').fill('1e3'),
      field: 'meter-litres',
      outcome: ['meter-code', 'meter-explain'],
      ran: (page) => logCount(page, 'meter at'),
    },
    {
      control: 'meter-run',
      prepare: (page, h) => order(page, h),
      good: (page) => page.getByTestId('meter-litres').fill('1.00'),
      bad: (page) => page.getByTestId('meter-litres').fill('-5'),
      field: 'meter-litres',
      outcome: ['meter-code', 'meter-explain'],
    },
    {
      control: 'tariff-change',
      prepare: (page, h) => order(page, h),
      good: (page) => page.getByTestId('tariff-new-price').fill('2.000'),
      bad: (page) => page.getByTestId('tariff-new-price').fill('abc'),
      field: 'tariff-new-price',
      outcome: ['change-code', 'change-explain'],
      ran: (page) => logCount(page, 'energy.tariff-change'),
    },
  ],
  reload: {
    prepare: (page, h) => order(page, h),
    async start(page) {
      await page.getByTestId('meter-litres').fill('20.00');
      await page.getByTestId('meter-run').click();
    },
    midway: (page) => page.waitForFunction(() => Number.parseFloat(document.querySelector('[data-testid="delivered"]').textContent) >= 3),
    read: async (page) => ({ delivered: await number(page, 'delivered'), clock: await number(page, 'clock-unix') }),
    async check(page, seen, h) {
      const delivered = await number(page, 'delivered');
      const clock = await number(page, 'clock-unix');
      assert.ok(delivered >= seen.delivered, `the litres delivered before the reload are kept (${seen.delivered} → ${delivered})`);
      assert.ok(clock >= seen.clock, `the simulated clock does not go back (${seen.clock} → ${clock})`);
      await page.getByTestId('meter-litres').fill('1.00');
      await h.act('meter-run');
      assert.equal(await textOf(page, 'meter-code'), 'READING_ACCEPTED', 'the meter goes on from there');
      assert.equal(await number(page, 'delivered'), delivered + 1);
    },
  },
});

// --- System 10: shelf --------------------------------------------------------------------------

const SHELF_VERDICT = ['verdict-code', 'verdict-explain', 'verdict-delta'];
checkPage({
  name: 'shelf',
  path: 'shelf.html',
  actions: [
    {
      // Two jams left among the milk: "Pick the misplaced item" works at L4 (twice: the good run
      // before and after the bad one), and at L1 (nothing misplaced there) says so next to the
      // button, naming the Lane field.
      control: 'pick-foreign',
      async prepare(page, h) {
        await page.getByTestId('lane').selectOption('L3');
        await h.act('pick');
        await h.act('pick');
        await page.getByTestId('lane').selectOption('L4');
        await h.act('return-two');
      },
      good: (page) => page.getByTestId('lane').selectOption('L4'),
      bad: (page) => page.getByTestId('lane').selectOption('L1'),
      field: 'lane',
      outcome: SHELF_VERDICT,
      ran: (page) => logCount(page, 'takes from'),
    },
  ],
  reload: {
    async start(page) {
      await page.getByTestId('lane').selectOption('L3');
      await page.getByTestId('pick').click();
    },
    read: async (page) => ({ L3: await number(page, 'lane-count-L3') }),
    async check(page, seen, h) {
      const count = await number(page, 'lane-count-L3');
      assert.ok(count === seen.L3 || count === seen.L3 - 1, `the pick happened once or not at all (${seen.L3} → ${count})`);
      await page.getByTestId('lane').selectOption('L3');
      await h.act('pick');
      assert.equal(await textOf(page, 'verdict-code'), 'picked', 'the shelf goes on from there');
      // The page keeps the simulated lane (which items lie on it, localStorage) and the controller
      // (IndexedDB) apart, as a real shelf has its items and its records: a reload can land after
      // the item left the lane and before the controller's record was saved. Then the next weighing
      // finds two items gone, and counts them, as a real shelf would (a fresh-clone run met this).
      const after = await number(page, 'lane-count-L3');
      assert.ok(after === count - 1 || (count === seen.L3 && after === seen.L3 - 2), `one pick more (${seen.L3} → ${count} → ${after})`);
    },
  },
});

// --- System 8: custody, a client checking the proof of liabilities ------------------------------

checkPage({
  name: 'custody-proof',
  path: 'custody-proof.html',
  actions: [
    {
      control: 'publish',
      good: (page) => page.getByTestId('client-count').fill('2000'),
      bad: (page) => page.getByTestId('client-count').fill('1'),
      field: 'client-count',
      outcome: ['build-status'],
    },
  ],
  reload: {
    async start(page) {
      await page.getByTestId('client-count').fill('200000');
      await page.getByTestId('publish').click();
    },
    read: async (page) => ({ root: await textOf(page, 'root-hash') }),
    async check(page, seen, h) {
      // The build in flight is lost (nothing was shown as published); the page goes on from there.
      assert.equal(await textOf(page, 'root-hash'), seen.root);
      await page.getByTestId('client-count').fill('2000');
      await h.act('publish');
      await h.act('verify');
      assert.equal(await textOf(page, 'outcome-code'), 'INCLUDED');
    },
  },
});

// --- Primitives -------------------------------------------------------------------------------

checkPage({
  name: 'primitives',
  path: 'primitives.html',
  actions: [
    {
      control: 'amount-parse',
      good: (page) => page.getByTestId('amount-value').fill('12.34'),
      bad: (page) => page.getByTestId('amount-value').fill(''),
      field: 'amount-value',
      error: 'amount-error-message',
      outcome: ['amount-result', 'amount-minor', 'amount-json'],
    },
    {
      control: 'add-run',
      good: (page) => page.getByTestId('add-b').fill('0.25'),
      bad: (page) => page.getByTestId('add-b').fill('abc'),
      field: 'add-b',
      error: 'add-error-message',
      outcome: ['add-result'],
    },
    {
      control: 'split-run',
      good: (page) => page.getByTestId('split-ratios').fill('1, 1, 1'),
      bad: (page) => page.getByTestId('split-ratios').fill('1.5, 1'),
      field: 'split-ratios',
      error: 'split-error-message',
      outcome: ['split-result'],
    },
    {
      control: 'env-seal',
      good: (page) => page.getByTestId('env-version').fill('1'),
      bad: (page) => page.getByTestId('env-version').fill('1e3'),
      field: 'env-version',
      error: 'env-seal-error-message',
      outcome: ['env-open-code', 'env-open-explanation'],
    },
    {
      control: 'env-seal',
      good: (page) => page.getByTestId('env-issued-at').fill('1767225600'),
      bad: (page) => page.getByTestId('env-issued-at').fill('-5'),
      field: 'env-issued-at',
      error: 'env-seal-error-message',
      outcome: ['env-open-code', 'env-open-explanation'],
    },
    {
      control: 'env-open',
      prepare: (page) => page.getByTestId('env-seal').click(),
      good: async (page) => page.getByTestId('env-now').fill(String(Number(await page.getByTestId('env-issued-at').inputValue()) + 60)),
      bad: (page) => page.getByTestId('env-now').fill('1e3'),
      field: 'env-now',
      error: 'env-open-error-message',
      outcome: ['env-open-code', 'env-open-explanation'],
    },
  ],
  reload: { none: 'the primitives page stores nothing: every result is computed from the form' },
});

// --- What the issue found on particular pages -------------------------------------------------

describe('demo pages: the issue\'s particular cases', () => {
  let browser;
  let server;

  before(async () => {
    assertSdkBuilt();
    server = await startDemoServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(path, fn) {
    const watched = await openWatchedPage(browser);
    try {
      const { page } = watched;
      await page.goto(new URL(path, server.url).href);
      await waitForSdkReady(page);
      await page.waitForFunction(() => document.body.dataset.busy !== 'true' && (document.body.dataset.step === undefined || Number(document.body.dataset.step) >= 1));
      const act = async (testId) => {
        const before = Number(await page.evaluate(() => document.body.dataset.step ?? 0));
        await page.getByTestId(testId).click();
        await page.waitForFunction((s) => Number(document.body.dataset.step ?? 0) > s && document.body.dataset.busy !== 'true', before);
        assert.equal(await shownErrors(page), '', `${testId}: unexpected error`);
      };
      await fn(page, act);
      watched.assertClean();
    } finally {
      await watched.close();
    }
  }

  test('energy: one order at a time, a log that says who sends what, green successes', async () => {
    await open('energy.html', async (page, act) => {
      await act('setup');
      await page.getByTestId('order-maximum').fill('50.00');
      await act('order-send');
      assert.equal(await textOf(page, 'order-code'), 'HELD');
      assert.equal(await page.getByTestId('order-send').isDisabled(), true, 'Order is disabled while the session is open');
      assert.match(await textOf(page, 'order-note'), /is open/);
      await act('complete');
      assert.equal(await page.getByTestId('order-send').isDisabled(), false, 'and enabled again once it is complete');
      assert.equal(await textOf(page, 'wallet-available'), '100.00 EUR', 'no hold is stranded');

      const log = await page.getByTestId('log-entry').allTextContents();
      assert.ok(log.some((t) => /pump → server\s+sends energy\.order/.test(t)), 'the pump sends the order to the server');
      assert.ok(log.some((t) => /server → pump\s+answers energy\.authorisation/.test(t)), 'the server answers the pump');
      assert.ok(!log.some((t) => /←/.test(t)), 'no arrow reads as the server receiving its own answer');
      const tones = await page.getByTestId('log-entry').evaluateAll((items) =>
        items.flatMap((li) => Array.from(li.querySelectorAll('.badge'), (b) => [b.textContent, b.className])),
      );
      for (const [code, className] of tones) {
        if (['TRANSFERRED', 'HELD', 'COMPLETED_NOTHING_DELIVERED'].includes(code)) assert.match(className, /\bok\b/, `${code} is green`);
        assert.doesNotMatch(className, /\bbad\b/, `no success is red: ${code}`);
      }
    });
  });

  test('tempcard: the card number as the phone shows it, with spaces, is accepted', async () => {
    await open('tempcard.html', async (page, act) => {
      await act('approve');
      await act('reveal');
      const spaced = await textOf(page, 'cred-pan');
      assert.match(spaced, /^\d{4} \d{4} \d{4} \d{4}$/);
      await page.getByTestId('buy-pan').fill(` ${spaced} `);
      await page.getByTestId('buy-expiry').fill((await textOf(page, 'cred-expiry')).replace('/', ' / '));
      await page.getByTestId('buy-amount').fill('10.00');
      await act('buy');
      assert.equal(await textOf(page, 'buy-code'), 'APPROVED');
    });
  });

  test('primitives: whole-number ratios as people type them', async () => {
    await open('primitives.html', async (page, act) => {
      for (const typed of ['1 1 1', '1;1;1', '1.0, 1, 1', ' 1 ,1, 1 ']) {
        await page.getByTestId('split-ratios').fill(typed);
        await act('split-run');
        const parts = (await page.getByTestId('split-part').allTextContents()).map((t) => t.trim()).sort();
        assert.deepEqual(parts, ['33.33 EUR', '33.33 EUR', '33.34 EUR'], `ratios typed as "${typed}"`);
      }
    });
  });
});
