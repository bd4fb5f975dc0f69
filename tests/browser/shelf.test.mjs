// Drives the System 10 demo page (examples-web/shelf.html) in headless Chromium: a pick and a tidy
// return, an untidy return that opens a clean-up task, the misplaced item picked by the next
// shopper (explained as what it is: no cascade), two items returned at once, the near twins that
// must be ambiguous, two shoppers at the shelf, staff resolving the ambiguous task with the real
// item (a contradicting answer refused first), a pick and a return in one touch (unattributable)
// resolved in turn, the live weight charts (uPlot, served from the npm install), a reload from
// IndexedDB, staff completing a task, and a reset. Every verdict checked
// is what the WebAssembly core decided in the browser from the samples the page simulated.

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
  await page.waitForFunction((s) => Number(document.body.dataset.step) > s && document.body.dataset.busy === 'false', before);
  assert.equal(await shownErrors(page), '', `${testId}: unexpected error`);
  return textOf(page, 'verdict-code');
}

const count = (page, lane) => textOf(page, `lane-count-${lane}`);
const tasks = (page) => page.getByTestId('task-text').evaluateAll((items) => items.map((span) => span.textContent.trim()));

/** Staff resolve `taskId` saying they found one `type` (or '' for nothing). */
async function resolveAs(page, taskId, type) {
  const before = await currentStep(page);
  await page.getByTestId(`task-found-${taskId}`).selectOption(type);
  await page.getByTestId(`task-resolve-${taskId}`).click();
  await page.waitForFunction((s) => Number(document.body.dataset.step) > s && document.body.dataset.busy === 'false', before);
  assert.equal(await shownErrors(page), '', `resolve ${taskId}: unexpected error`);
  return textOf(page, 'resolve-outcome');
}
const hypotheses = (page) => page.getByTestId('hypothesis').evaluateAll((rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));

describe('browser demo: untidy returns judged by weight', () => {
  let browser;
  let server;
  let url;

  before(async () => {
    assertSdkBuilt();
    server = await startDemoServer();
    browser = await launchBrowser();
    url = new URL('shelf.html', server.url).href;
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('picks, tidy and untidy returns, the cascade avoided, near twins, two shoppers, staff resolving tasks, a pick and a return in one touch, reload, clean-up, reset', async () => {
    await withWatchedPage(browser, async (page) => {
      await page.goto(url);
      await waitForRestored(page);
      assert.equal(await textOf(page, 'restore-status'), 'new shelf');
      for (const lane of ['L1', 'L2', 'L3', 'L4']) assert.equal(await count(page, lane), '6');
      // The charts are uPlot canvases with the tare samples in them.
      assert.equal(await page.locator('[data-testid="lane-chart-L1"] canvas').count() > 0, true, 'uPlot drew the chart');
      assert.equal(await page.getByTestId('lane-chart-L3').getAttribute('data-points'), '20');

      // Ann takes a jam and puts it back: picked, then tidy; the count goes 6 → 5 → 6.
      await page.getByTestId('lane').selectOption('L3');
      assert.equal(await act(page, 'pick'), 'picked');
      assert.equal(await count(page, 'L3'), '5');
      assert.match(await textOf(page, 'records'), /^1 × jam \(\d+\.\d g\)$/);
      assert.equal(await act(page, 'return-home'), 'tidy');
      assert.equal(await count(page, 'L3'), '6');
      assert.equal(await textOf(page, 'records'), 'nothing');
      assert.equal(await page.getByTestId('lane-chart-L3').getAttribute('data-points'), '120', 'every sample is on the chart');

      // Untidy: a jam left among the milk. The milk count stays, a task opens.
      assert.equal(await act(page, 'pick'), 'picked');
      await page.getByTestId('lane').selectOption('L4');
      assert.equal(await act(page, 'return-lane'), 'untidy');
      assert.equal(await count(page, 'L4'), '6');
      assert.deepEqual(await tasks(page), ['1 × jam misplaced in L4']);
      const rows = await hypotheses(page);
      assert.equal(rows[0][2], '1 × jam (record)');
      assert.equal(rows[0][6], 'yes');

      // Bob takes the misplaced jam from the milk lane: explained as a jam (the lane's entry),
      // the task closes, the milk count stays 6.
      await page.getByTestId('shopper').selectOption('bob');
      assert.equal(await act(page, 'pick-foreign'), 'picked');
      assert.equal((await hypotheses(page))[0][2], '1 × jam (entry)');
      assert.deepEqual(await tasks(page), []);
      assert.equal(await count(page, 'L4'), '6');
      assert.match(await textOf(page, 'records'), /^1 × jam /);

      // Two items at once: Bob takes a milk too, then puts the jam and the milk into the jam lane.
      assert.equal(await act(page, 'pick'), 'picked');
      await page.getByTestId('lane').selectOption('L3');
      assert.equal(await act(page, 'return-two'), 'untidy');
      assert.equal((await hypotheses(page))[0][2].split(' + ').sort().join(' + '), '1 × jam (record) + 1 × milk (record)');
      // L3: 6 after Ann's tidy return, 5 after her second pick; the jam Bob carried comes home: 6.
      assert.equal(await count(page, 'L3'), '6');
      assert.deepEqual(await tasks(page), ['1 × milk misplaced in L3 (perishable)']);

      // Near twins: Ann takes a soup and beans and puts one back into the jam lane: ambiguous,
      // both readings within tolerance, nothing taken off her records.
      await page.getByTestId('shopper').selectOption('ann');
      assert.equal(await act(page, 'near-twin'), 'ambiguous');
      const twins = await hypotheses(page);
      assert.deepEqual(twins.slice(0, 2).map((r) => r[6]), ['yes', 'yes']);
      assert.deepEqual(twins.slice(0, 2).map((r) => r[2]).sort(), ['1 × beans (record)', '1 × soup (record)']);
      assert.match(await textOf(page, 'records'), /soup.*beans|beans.*soup/);
      assert.equal((await tasks(page)).length, 2);
      assert.match((await tasks(page))[1], /^identify 5\d\d\.\d g in L3$/);

      // Reload: the shelf comes back from IndexedDB, with its tasks, records and charts.
      const before = { tasks: await tasks(page), L3: await count(page, 'L3'), records: await textOf(page, 'records'), log: await page.getByTestId('log-entry').count() };
      await page.reload();
      await waitForRestored(page);
      assert.match(await textOf(page, 'restore-status'), /^restored from IndexedDB \(revision \d+\)$/);
      assert.deepEqual(
        { tasks: await tasks(page), L3: await count(page, 'L3'), records: await textOf(page, 'records'), log: await page.getByTestId('log-entry').count() },
        before,
      );
      assert.ok(Number(await page.getByTestId('lane-chart-L3').getAttribute('data-points')) > 100);

      // Two shoppers at the shelf: Ann takes a jam alone, then returns it with Bob beside her;
      // Bob holds no jam, so the return is attributed to Ann.
      await page.getByTestId('lane').selectOption('L3');
      assert.equal(await act(page, 'pick'), 'picked');
      await page.getByTestId('both-present').check();
      await page.getByTestId('held').selectOption({ label: 'jam (from the shelf)' });
      assert.equal(await act(page, 'return-home'), 'tidy');
      assert.match(await textOf(page, 'verdict-delta'), /· ann$/);
      await page.getByTestId('both-present').uncheck();

      // Staff resolve the near twins' identify task. A milk cannot weigh 5xx g: refused
      // (contradicts-weight), nothing changes. It was the soup: off Ann's record, carried away.
      const twin = await page.getByTestId('task').nth(1).getAttribute('data-task');
      assert.equal(await resolveAs(page, twin, 'milk'), 'contradicts-weight');
      assert.equal((await tasks(page)).length, 2);
      assert.equal(await resolveAs(page, twin, 'soup'), 'resolved');
      assert.equal((await tasks(page)).length, 1);
      assert.match(await textOf(page, 'records'), /^1 × beans \(/);

      // One touch, two hands: Ann takes a soup from L1 and puts her beans in its place (net about
      // −2 g). The weight went far beyond both rest values: unattributable, nothing guessed — the
      // count and her records stay, staff get a task naming who was there.
      await page.getByTestId('lane').selectOption('L1');
      await page.getByTestId('held').selectOption({ label: 'beans (from the shelf)' });
      assert.equal(await act(page, 'swap'), 'unattributable');
      assert.match(await textOf(page, 'verdict-delta'), /excursion \d+\.\d g \(above 120\.0 g\) · at the shelf: ann$/);
      assert.equal(await count(page, 'L1'), '5');
      assert.match(await textOf(page, 'records'), /^1 × beans \(/);
      const look = await tasks(page);
      assert.equal(look.length, 2);
      assert.match(look[1], /^look: net -?\d+\.\d g not attributed \(ann\) in L1$/);
      // Staff find the beans among the soups: off Ann's record.
      const mixedTask = await page.getByTestId('task').nth(1).getAttribute('data-task');
      assert.equal(await resolveAs(page, mixedTask, 'beans'), 'resolved');
      assert.equal(await textOf(page, 'records'), 'nothing');
      assert.equal((await tasks(page)).length, 1);

      // Staff take the milk away: its task closes, the clean-up list shrinks.
      const milk = await page.getByTestId('task').first().getAttribute('data-task');
      const stepBefore = await currentStep(page);
      await page.getByTestId(`task-done-${milk}`).click();
      await page.waitForFunction((s) => Number(document.body.dataset.step) > s && document.body.dataset.busy === 'false', stepBefore);
      assert.equal((await tasks(page)).length, 0);

      // Reset: a new shelf.
      await act(page, 'reset-demo');
      assert.equal(await textOf(page, 'restore-status'), 'new shelf');
      assert.deepEqual(await tasks(page), []);
    });
  });
});
