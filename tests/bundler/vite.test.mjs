// The README promises bundlers. This packs @countersign/sdk exactly as npm would publish it,
// installs the tarball (offline) in a fresh Vite project, builds it with the Vite installed in
// this repository, serves the built dist/ on loopback and opens it in headless Chromium:
//
// * page "all":  a bare `await init()` (Vite ships the `.wasm` the SDK names);
// * page "url":  `await init(wasmUrl)`, the `.wasm` URL from
//                `import wasmUrl from '@countersign/sdk/countersign.wasm?url'`;
// * page "card": `await init({ system: 'card', module: cardWasmUrl })`, the URL from
//                `import cardWasmUrl from '@countersign/sdk/wasm/card/countersign_wasm_bg.wasm?url'`.
//
// Each verifies an RFC 8032 signature (and refuses a tampered one) and authorises the README's
// System 1 card payment; the card results must equal those of the same package in Node. The
// pages log no console error, and every byte they load comes from the bundle's dist/: the served
// `.wasm` (and for "card" its glue, which the SDK imports at run time) are checked byte for byte
// against the package's. Then each page causes a real trap and `init()` must start a fresh
// instance from the glue the bundle ships (no second `.wasm` fetch), deciding the same again.
// Time-zone data (tzdata/) is not something a bundler can follow, so the project ships it as
// Vite's public/tzdata/ and the pages call `setTimeZoneBaseUrl`.
//
// Every command, build, page wait and the whole suite are bounded; temp dirs, servers and the
// browser are cleaned up on failure too. Needs: the SDK built (sdk-ts/dist, sdk-ts/wasm),
// vite and playwright-core in the repository's node_modules, /usr/bin/chromium. No network.

import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { assertSdkBuilt, launchBrowser, PAGE_ACTION_TIMEOUT_MS, REPO_ROOT, SDK_READY_TIMEOUT_MS } from '../browser/helpers.mjs';
import { PACKAGE_NAME, packAndInstall, runClean } from '../packaging/pack-install.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const APP_DIR = path.join(HERE, 'app');
const VITE_BIN = path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
const BUILD_TIMEOUT_MS = 120_000;
const SUITE_TIMEOUT_MS = 6 * 60_000;

const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
};

/**
 * A static server for one built dist/ on 127.0.0.1 (port chosen by the OS), recording every
 * request with its status. No directory listings, nothing outside the root.
 */
async function serveDir(root) {
  const requests = [];
  const server = createServer(async (req, res) => {
    const record = { path: '', search: '', status: 0 };
    requests.push(record);
    const send = (status, headers = {}, body = '') => {
      record.status = status;
      res.writeHead(status, headers);
      res.end(body);
    };
    try {
      const { pathname } = new URL(req.url ?? '/', 'http://127.0.0.1');
      const { search } = new URL(req.url ?? '/', 'http://127.0.0.1');
      record.path = pathname;
      record.search = search;
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405);
      const relative = decodeURIComponent(pathname).replace(/\/$/, '/index.html');
      const file = path.resolve(root, `.${path.posix.sep}${relative}`);
      if (relative.includes('\0') || !file.startsWith(root + path.sep)) return send(404);
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) return send(404, { 'Content-Type': 'text/plain' }, 'not found');
      record.status = 200;
      res.writeHead(200, {
        'Content-Type': MIME_TYPES[path.extname(file)] ?? 'application/octet-stream',
        'Content-Length': info.size,
        'Cache-Control': 'no-store',
      });
      if (req.method === 'HEAD') return res.end();
      createReadStream(file).pipe(res);
    } catch {
      if (!res.headersSent) send(500);
      else res.destroy();
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** Every file under dir, relative, POSIX separators. */
async function listFiles(dir, prefix = '') {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(path.join(dir, entry.name), rel)));
    else out.push(rel);
  }
  return out;
}

/** Opens `url` and returns the JSON the page wrote into #out, with what went wrong in the page. */
async function openPage(browser, url) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(PAGE_ACTION_TIMEOUT_MS);
    page.setDefaultNavigationTimeout(PAGE_ACTION_TIMEOUT_MS);
    const problems = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(`console.error: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
    page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`));
    await page.goto(url);
    await page.waitForSelector('#out[data-done="true"]', { state: 'attached', timeout: SDK_READY_TIMEOUT_MS });
    return { result: JSON.parse((await page.textContent('#out')) ?? 'null'), problems };
  } finally {
    await context.close();
  }
}

describe('bundler: the packed SDK in a fresh Vite project, built and run in Chromium', { timeout: SUITE_TIMEOUT_MS }, () => {
  let tempRoot;
  let projectDir;
  let installedDir;
  let nodeResult;
  let browser;

  before(async () => {
    assertSdkBuilt();
    tempRoot = await mkdtemp(path.join(os.tmpdir(), 'countersign-vite-'));
    ({ projectDir, installedDir } = await packAndInstall(tempRoot, 'countersign-vite-smoke'));

    for (const file of await readdir(APP_DIR)) await copyFile(path.join(APP_DIR, file), path.join(projectDir, file));
    // Vite copies public/ to the root of dist/ as is: the zone files keep their names.
    await cp(path.join(installedDir, 'tzdata'), path.join(projectDir, 'public', 'tzdata'), { recursive: true });

    // The same card checks in Node, through the package's "node" export: the reference.
    await writeFile(
      path.join(projectDir, 'node-check.mjs'),
      `import * as sdk from '${PACKAGE_NAME}';
import { cardChecks, signatureChecks } from './checks.js';
console.log(JSON.stringify({ signatures: signatureChecks(sdk), card: await cardChecks(sdk) }));
`,
    );
    const node = await runClean(process.execPath, ['node-check.mjs'], projectDir);
    nodeResult = JSON.parse(node.stdout.trim().split('\n').pop());

    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    if (tempRoot) await rm(tempRoot, { recursive: true, force: true });
  });

  /** `vite build` of one page (`<name>.html`) into dist-<name>/, with the repository's Vite. */
  async function viteBuild(name) {
    const configFile = path.join(projectDir, `vite.${name}.config.mjs`);
    await writeFile(
      configFile,
      `export default {
  logLevel: 'warn',
  clearScreen: false,
  // Test only: the SDK's internal error conversion, to report a real trap as an SDK call would.
  resolve: { alias: { 'countersign-test-internals/errors': ${JSON.stringify(path.join(installedDir, 'dist', 'errors.js'))} } },
  build: { outDir: 'dist-${name}', emptyOutDir: true, rollupOptions: { input: { ${name}: '${name}.html' } } },
};
`,
    );
    const { stdout, stderr } = await runClean(process.execPath, [VITE_BIN, 'build', '--config', configFile], projectDir, { timeout: BUILD_TIMEOUT_MS });
    const outDir = path.join(projectDir, `dist-${name}`);
    return { outDir, files: await listFiles(outDir), log: `${stdout}${stderr}`.trim() };
  }

  /** Builds, serves and opens page `name`; the page's JSON and what was requested. */
  async function buildAndOpen(name) {
    const built = await viteBuild(name);
    assert.equal(built.log, '', `vite build printed warnings or errors:\n${built.log}`);
    const server = await serveDir(built.outDir);
    try {
      const { result, problems } = await openPage(browser, `${server.url}${name}.html`);
      return { ...built, result, problems, requests: server.requests };
    } finally {
      await server.close();
    }
  }

  /** The bytes of what the page fetched at `urlPath`, from the built dist/. */
  const servedBytes = (outDir, urlPath) => readFile(path.join(outDir, ...urlPath.split('/').filter(Boolean)));

  /** The page's requests whose served file holds exactly `bytes`. */
  async function requestsServing(page, bytes) {
    const out = [];
    for (const r of page.requests) if (r.status === 200 && (await servedBytes(page.outDir, r.path)).equals(bytes)) out.push(r);
    return out;
  }

  async function assertCommon(page, expectedModule) {
    assert.deepEqual(page.problems, [], `the page reported errors:\n${page.problems.join('\n')}`);
    assert.equal(page.result.error, undefined, `the page threw: ${page.result.error} ${page.result.message}`);
    assert.equal(page.result.before, false, 'the browser entry needs init() before use');
    assert.equal(page.result.loaded, expectedModule);
    assert.deepEqual(page.result.signatures, { rfc8032: true, rfc8032Tampered: false, signedHere: true, signedHereOtherMessage: false });
    assert.equal(page.result.card.payment.decision, 'approve');
    assert.equal(page.result.card.payment.code, 'APPROVED');
    assert.equal(page.result.card.config.accepted, true);
    assert.equal(page.result.card.overLimit.decision, 'decline');
    assert.equal(page.result.card.command.accepted, true);
    assert.deepEqual(page.result.card, nodeResult.card, 'the bundled page decides exactly as Node does');
    const failed = page.requests.filter((r) => r.status !== 200);
    assert.deepEqual(failed, [], 'every request the page made was served from dist/');
    assert.deepEqual(page.result.recovery, {
      trapName: 'RuntimeError', // the glue the page trapped is the initialised one the SDK loaded
      afterTrap: { initialized: false, parse: 'WASM_TRAP' },
      afterInit: { initialized: true, parse: '1.00', loaded: expectedModule },
      card: nodeResult.card,
    }, 'after a trap, init() starts a fresh instance from the glue shipped in the bundle');
    const zones = page.requests.map((r) => r.path).filter((p) => p.startsWith('/tzdata/'));
    // Loaded once (before the trap), not again after: zones are kept in JS.
    assert.deepEqual(zones.sort(), ['/tzdata/Europe/Paris', '/tzdata/index.json']);
    await assertNoNodeOnlyCode(page);
  }

  /** The Node-only adapters (files, PostgreSQL and its driver, an optional peer dependency) stay out of the bundle. */
  async function assertNoNodeOnlyCode(page) {
    const scripts = page.files.filter((f) => f.endsWith('.js'));
    assert.ok(scripts.length > 0, `dist/ has scripts: ${page.files.join(', ')}`);
    for (const file of scripts) {
      const source = await readFile(path.join(page.outDir, file), 'utf8');
      assert.doesNotMatch(source, /PostgresStorage|FileStorage|pg-protocol|pg-pool/, `${file} holds Node-only storage code`);
    }
  }

  test('Node reference: the packed package verifies and authorises', () => {
    assert.deepEqual(nodeResult.signatures, { rfc8032: true, rfc8032Tampered: false, signedHere: true, signedHereOtherMessage: false });
    assert.equal(nodeResult.card.payment.decision, 'approve');
  });

  /** Checks of a page loading the module with every system (bundled glue, one `.wasm`). */
  async function assertEverySystemPage(page) {
    await assertCommon(page, 'all');
    // The bundle ships the one `.wasm` the SDK and its glue name, not every module's.
    assert.equal(page.files.filter((f) => f.endsWith('.wasm')).length, 1, `dist/: ${page.files.join(', ')}`);
    const wasmRequests = page.requests.filter((r) => r.path.endsWith('.wasm')).map((r) => r.path);
    assert.equal(wasmRequests.length, 1, `one .wasm fetched, not again on recovery: ${wasmRequests.join(', ')}`);
    assert.match(wasmRequests[0], /^\/assets\/countersign_wasm_bg-[\w-]+\.wasm$/, 'the hashed asset Vite emitted');
    assert.ok(
      (await servedBytes(page.outDir, wasmRequests[0])).equals(await readFile(path.join(installedDir, 'wasm', 'countersign_wasm_bg.wasm'))),
      'the served .wasm is the package module with every system',
    );
    // The glue is in the bundle; recovery imports a fresh copy of it, shipped as an asset.
    const glue = await readFile(path.join(installedDir, 'wasm', 'countersign_wasm.js'));
    const glueRequests = await requestsServing(page, glue);
    assert.deepEqual(glueRequests.map((r) => r.search.replace(/=.*/, '=')), ['?instance='], 'one fresh glue import, on recovery');
  }

  test('bare init(): every system, the .wasm the SDK names shipped by Vite', async () => {
    await assertEverySystemPage(await buildAndOpen('all'));
  });

  test("init(url), the url from '@countersign/sdk/countersign.wasm?url': every system", async () => {
    await assertEverySystemPage(await buildAndOpen('url'));
  });

  test("init({ system: 'card', module: url of sdk/wasm/card/countersign_wasm_bg.wasm?url }): System 1's own module", async () => {
    const page = await buildAndOpen('card');
    await assertCommon(page, 'card');
    // The card module's `.wasm` (imported with ?url) and the one with every system, which the
    // glue bundled with the SDK names; no other module's.
    assert.equal(page.files.filter((f) => f.endsWith('.wasm')).length, 2, `dist/: ${page.files.join(', ')}`);
    assert.equal(page.result.ledger, 'NOT_INITIALIZED', 'the card module has no ledger');
    const wasmRequests = page.requests.filter((r) => r.path.endsWith('.wasm')).map((r) => r.path);
    assert.equal(wasmRequests.length, 1, `one .wasm fetched, not again on recovery: ${wasmRequests.join(', ')}`);
    assert.ok(
      (await servedBytes(page.outDir, wasmRequests[0])).equals(await readFile(path.join(installedDir, 'wasm', 'card', 'countersign_wasm_bg.wasm'))),
      "the served .wasm is the card module's",
    );
    // The SDK imports the card module's glue at run time: the bundle must ship it as an asset.
    const cardGlue = await readFile(path.join(installedDir, 'wasm', 'card', 'countersign_wasm.js'));
    const glueRequests = await requestsServing(page, cardGlue);
    assert.deepEqual(
      glueRequests.map((r) => r.search.replace(/=.*/, '=')),
      ['', '?instance='],
      'the card glue was imported from dist/ by init(), and a fresh copy of it on recovery',
    );
    assert.equal(glueRequests[0].path, glueRequests[1].path);
  });
});
