// One checker for every demo page: given a page's description (its actions, a bad input for each,
// the outcome elements next to each control), it registers node:test tests that use the page as a
// person would and check what the demo kit promises:
//
//   * error next to the control: a mistake is shown right under the control that caused it, in
//     view (not under the sticky state panel), in words (no SDK parameter paths, no serde jargon),
//     naming the field by its visible label and marking that field;
//   * stale outcome cleared: after a good run left an outcome beside the control, a failed run
//     leaves none of it (no old result next to a new error);
//   * double submit refused: two clicks in a row run the action once, and the control is disabled
//     while it runs;
//   * reload mid-action: reloading while an action runs loses nothing that was already shown as
//     done, and the page goes on working (or the page says why it keeps nothing);
//   * narrow screen: at 390 px wide nothing scrolls sideways, before and after an error;
//   * no console errors, on any of it.
//
// A page description (see pages.test.mjs):
//
//   {
//     name, path,                        // "card", "card.html"
//     setup(page, h),                    // optional: from a fresh page to one where the actions apply
//     actions: [{
//       control,                         // data-testid of the button
//       prepare(page, h),                // optional: after setup, before this action's checks
//       good(page),                      // optional: fill inputs so the action gives an outcome
//       bad(page),                       // fill one input wrongly
//       field,                           // data-testid of the input the error must name (or null)
//       outcome: [testIds],              // what the control shows; empty after a failure
//       error,                           // optional: the error's element (default `<control>-error`)
//       ran(page) => number,             // optional: counts the action's effects (double submit)
//     }],
//     reload: { prepare, start, midway, read, check } | { none: 'why nothing is kept' },
//   }
//
// `h` is { act(testId), fill(testId, value), idle(stepBefore), step() }.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertSdkBuilt,
  launchBrowser,
  openWatchedPage,
  shownErrors,
  startDemoServer,
  waitForSdkReady,
} from './helpers.mjs';

export const NARROW_VIEWPORT = Object.freeze({ width: 390, height: 844 });
const DESKTOP_VIEWPORT = Object.freeze({ width: 1280, height: 900 });
/** How far (px) below its control's row an error may start and still read as "next to" it. */
const ERROR_NEAR_PX = 160;
/** Words a person should never have to read in an error. */
const DEVELOPER_WORDS = [
  /countersign:/,
  /\b(request|order|config|input|options|command)\.[a-z]/i,
  /\b\w+\[\d+\]/,
  /invalid type|expected u\d+|floating point|\bNaN\b|bigint|safe integer|serde/i,
  /(\b[\w.]+): \1:/, // a path said twice
  /Error: /,
];

const step = (page) => page.evaluate(() => Number(document.body.dataset.step ?? 0));
const idle = (page, before) =>
  page.waitForFunction((s) => Number(document.body.dataset.step ?? 0) > s && document.body.dataset.busy !== 'true', before);

function helpers(page) {
  return {
    step: () => step(page),
    idle: (before) => idle(page, before),
    fill: (testId, value) => page.getByTestId(testId).fill(value),
    /** Clicks and waits for the action to finish; fails if it left an error. */
    async act(testId) {
      const before = await step(page);
      await page.getByTestId(testId).click();
      await idle(page, before);
      assert.equal(await shownErrors(page), '', `${testId}: unexpected error`);
    },
  };
}

async function openPage(watched, url) {
  const { page } = watched;
  await page.goto(url);
  await waitForSdkReady(page);
  // Pages with a start-up step (restoring their state) mark it on <body data-step>.
  await page.waitForFunction(() => document.body.dataset.busy !== 'true' && (document.body.dataset.step === undefined || Number(document.body.dataset.step) >= 1));
  return page;
}

/** Clicks `control` (waiting for it like a person would) and waits for its action to finish. */
async function click(page, control) {
  const before = await step(page);
  await page.getByTestId(control).click();
  await idle(page, before);
}

async function outcomeTexts(page, ids) {
  return page.evaluate((list) => list.map((id) => document.querySelector(`[data-testid="${id}"]`)?.textContent.trim() ?? null), ids);
}

/** Where the error is, whether a person sees it, and what it says. */
async function errorFacts(page, control, errorId, field) {
  return page.evaluate(
    ({ control, errorId, field }) => {
      const button = document.querySelector(`[data-testid="${control}"]`);
      const error = document.querySelector(`[data-testid="${errorId}"]`);
      if (!error) return { exists: false };
      const shown = !error.hidden && error.getClientRects().length > 0 && error.textContent.trim() !== '';
      const e = error.getBoundingClientRect();
      const row = (button.closest('.row') ?? button).getBoundingClientRect();
      const x = e.left + Math.min(e.width / 2, 20);
      const y = e.top + Math.min(e.height / 2, 10);
      const top = document.elementFromPoint(x, y);
      const input = field ? document.querySelector(`[data-testid="${field}"]`) : null;
      let label = '';
      const labelEl = input?.closest('label');
      if (labelEl) {
        for (const n of labelEl.childNodes) if (n.nodeType === Node.TEXT_NODE) label += n.textContent;
        label = label.replace(/\s+/g, ' ').trim();
      }
      return {
        exists: true,
        shown,
        text: error.textContent.replace(/\s+/g, ' ').trim(),
        gap: e.top - row.bottom,
        inView: e.top >= 0 && e.bottom <= window.innerHeight,
        uncovered: !!top && error.contains(top),
        label,
        marked: input ? input.getAttribute('aria-invalid') === 'true' : null,
      };
    },
    { control, errorId, field },
  );
}

const noSideways = (page) =>
  page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));

/** Registers the checks for one page description. */
export function checkPage(description) {
  describe(`demo page checks: ${description.name}`, () => {
    let browser;
    let server;
    let url;

    before(async () => {
      assertSdkBuilt();
      server = await startDemoServer();
      browser = await launchBrowser();
      url = new URL(description.path, server.url).href;
    });

    after(async () => {
      await browser?.close();
      await server?.close();
    });

    /** A fresh page (own storage) set up as described, handed to `fn`; fails on console errors. */
    async function fresh(fn, viewport = DESKTOP_VIEWPORT) {
      const watched = await openWatchedPage(browser);
      try {
        await watched.page.setViewportSize(viewport);
        const page = await openPage(watched, url);
        const h = helpers(page);
        await description.setup?.(page, h);
        await fn(page, h);
        watched.assertClean();
      } finally {
        await watched.close();
      }
    }

    test('every mistake is shown next to its control, in words, and the stale outcome is cleared', async () => {
      for (const a of description.actions) {
        await fresh(async (page, h) => {
          const what = `${description.name}: ${a.control} with a bad input`;
          await a.prepare?.(page, h);
          const outcome = a.outcome ?? [];
          if (a.good) {
            await a.good(page);
            await h.act(a.control);
            const shown = await outcomeTexts(page, outcome);
            assert.ok(outcome.length === 0 || shown.some((t) => t), `${what}: the good run shows an outcome (${outcome.join(', ')})`);
          }
          await a.bad(page);
          await click(page, a.control);
          const facts = await errorFacts(page, a.control, a.error ?? `${a.control}-error`, a.field);
          assert.ok(facts.exists && facts.shown, `${what}: an error is shown next to the control`);
          assert.ok(facts.gap >= -2 && facts.gap <= ERROR_NEAR_PX, `${what}: the error starts right under the control's row (gap ${facts.gap} px)`);
          assert.ok(facts.inView && facts.uncovered, `${what}: the error is in view and not covered (in view ${facts.inView}, uncovered ${facts.uncovered})`);
          for (const word of DEVELOPER_WORDS) assert.doesNotMatch(facts.text, word, `${what}: a person's words, not a developer's: "${facts.text}"`);
          if (a.field) {
            assert.ok(facts.text.includes(`“${facts.label}`) || facts.text.includes(facts.label), `${what}: the error names the field by its label "${facts.label}": "${facts.text}"`);
            assert.equal(facts.marked, true, `${what}: the field at fault is marked (aria-invalid)`);
          }
          // Stale outcome: nothing of the last good result stays beside the new error.
          const after = await outcomeTexts(page, outcome);
          assert.deepEqual(after, outcome.map(() => ''), `${what}: the previous outcome is cleared (${outcome.join(', ')})`);
          // Only the one error is shown: the banner at the top stays hidden.
          assert.equal(await page.getByTestId('error-banner').count() === 0 || (await page.getByTestId('error-banner').isHidden()), true, `${what}: no banner`);
          // The next good run clears the error.
          if (a.good) {
            await a.good(page);
            await h.act(a.control);
            const facts2 = await errorFacts(page, a.control, a.error ?? `${a.control}-error`, a.field);
            assert.ok(!facts2.shown, `${what}: a good run clears the error`);
            if (a.field) assert.notEqual(facts2.marked, true, `${what}: and unmarks the field`);
          }
        });
      }
    });

    test('a double click runs the action once, and the control is disabled while it runs', async () => {
      for (const a of description.actions.filter((x) => x.good)) {
        await fresh(async (page, h) => {
          const what = `${description.name}: ${a.control} clicked twice`;
          await a.prepare?.(page, h);
          await a.good(page);
          const ranBefore = await a.ran?.(page);
          const before = await step(page);
          const disabledWhileRunning = await page.getByTestId(a.control).evaluate((button) => {
            button.click();
            const disabled = button.disabled;
            button.click(); // a second click before the first finished
            return disabled;
          });
          // A person clicking again a moment later, while a long action still runs (a meter).
          await page.waitForTimeout(30);
          await page.getByTestId(a.control).evaluate((button) => {
            if (document.body.dataset.busy === 'true') button.click();
          });
          await idle(page, before);
          await page.waitForTimeout(100); // a queued second run would have started by now
          await page.waitForFunction(() => document.body.dataset.busy !== 'true');
          assert.equal(disabledWhileRunning, true, `${what}: disabled while it runs`);
          assert.equal(await step(page), before + 1, `${what}: ran once`);
          if (a.ran) assert.equal(await a.ran(page), ranBefore + 1, `${what}: one effect`);
        });
      }
    });

    if (description.reload?.none) {
      test(`reload mid-action: not applicable (${description.reload.none})`, () => {});
    } else {
      test('a reload in the middle of an action keeps what was done and the page goes on working', async () => {
        const r = description.reload;
        await fresh(async (page, h) => {
          await r.prepare?.(page, h);
          await r.start(page);
          await r.midway?.(page);
          const seen = await r.read(page);
          await page.reload();
          await openPage({ page }, url);
          assert.equal(await shownErrors(page), '', `${description.name}: no error after the reload`);
          await r.check(page, seen, helpers(page));
        });
      });
    }

    test('390 px wide: nothing scrolls sideways, with or without an error shown', async () => {
      await fresh(async (page, h) => {
        let size = await noSideways(page);
        assert.ok(size.scroll <= size.client, `${description.name} at 390 px: page is ${size.scroll} px wide`);
        const a = description.actions[0];
        await a.prepare?.(page, h);
        await a.bad(page);
        await click(page, a.control);
        size = await noSideways(page);
        assert.ok(size.scroll <= size.client, `${description.name} at 390 px with an error: page is ${size.scroll} px wide`);
        const wide = await page.evaluate(() =>
          Array.from(document.querySelectorAll('body *'))
            .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && el.getClientRects().length > 0)
            .filter((el) => !el.closest('.table-scroll, ol.log'))
            .slice(0, 5)
            .map((el) => `${el.tagName.toLowerCase()}${el.dataset.testid ? `[${el.dataset.testid}]` : ''}`),
        );
        assert.deepEqual(wide, [], `${description.name} at 390 px: elements past the right edge`);
      }, NARROW_VIEWPORT);
    });
  });
}
