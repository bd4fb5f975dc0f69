// Shared helpers for browser tests: a real headless Chromium (Debian's, not a
// Playwright download) driving pages served by scripts/serve.mjs on loopback.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../../scripts/serve.mjs';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]);

// Upper bounds so a hung page fails the test instead of the CI run.
export const PAGE_ACTION_TIMEOUT_MS = 15_000;
export const SDK_READY_TIMEOUT_MS = 20_000;

/** The SDK build the demo pages load; tests fail fast with a clear message when it is missing. */
export const SDK_BUILD_FILES = Object.freeze([
  'sdk-ts/dist/index.js',
  'sdk-ts/wasm/countersign_wasm_bg.wasm',
]);

export function assertSdkBuilt() {
  const missing = SDK_BUILD_FILES.filter((file) => !existsSync(path.join(REPO_ROOT, file)));
  assert.deepEqual(missing, [], `SDK build missing (${missing.join(', ')}): run \`bash scripts/build.sh\` first`);
}

export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
}

/** Start the demo server (examples-web/ at /, sdk-ts/ at /sdk/) on a free loopback port. */
export function startDemoServer(options = {}) {
  return startServer({ port: 0, host: '127.0.0.1', ...options });
}

/**
 * Open a fresh page that records every console error and uncaught page error.
 * Call `assertClean()` at the end of the test; it fails listing what went wrong.
 */
export async function openWatchedPage(browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(PAGE_ACTION_TIMEOUT_MS);
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console.error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`));
  return {
    page,
    problems,
    assertClean() {
      assert.deepEqual(problems, [], `page reported errors:\n${problems.join('\n')}`);
    },
    close: () => context.close(),
  };
}

/** Run `fn(page)` on a watched page and fail if the page logged any error. */
export async function withWatchedPage(browser, fn) {
  const watched = await openWatchedPage(browser);
  try {
    await fn(watched.page);
    watched.assertClean();
  } finally {
    await watched.close();
  }
}

/** Wait until a demo page has finished `await init()` and fail with its banner text if it could not. */
export async function waitForSdkReady(page) {
  const status = page.getByTestId('sdk-status');
  await page.waitForFunction(
    () => document.querySelector('[data-testid="sdk-status"]')?.dataset.state !== 'loading',
    null,
    { timeout: SDK_READY_TIMEOUT_MS },
  );
  const state = await status.getAttribute('data-state');
  if (state !== 'ready') {
    const banner = await page.getByTestId('init-error').textContent();
    assert.fail(`SDK did not initialise in the page (state ${state}): ${banner}`);
  }
}

/** Text of the element with this data-testid, trimmed. */
export async function textOf(page, testId) {
  return ((await page.getByTestId(testId).textContent()) ?? '').trim();
}

/**
 * Every error the page shows right now: the page's banner and the errors next to controls
 * (demo-kit's `.action-error` slots), as "CODE message" texts joined by " | "; '' when none.
 */
export async function shownErrors(page) {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('[data-testid="error-banner"], .action-error'))
      .filter((el) => !el.hidden)
      .map((el) => el.textContent.replace(/\s+/g, ' ').trim())
      .join(' | '),
  );
}
