// Packs @countersign/sdk exactly as npm would publish it, installs the tarball in a
// fresh project, and checks that the installed package works from Node ESM and,
// through its "browser" export, in headless Chromium. Signatures come from
// independent sources (RFC 8032, @noble/curves) so a wrong core cannot pass.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { moduleDir, readManifest } from '../../scripts/manifest.mjs';
import { startServer } from '../../scripts/serve.mjs';
import { assertSdkBuilt, launchBrowser, REPO_ROOT, SDK_READY_TIMEOUT_MS } from '../browser/helpers.mjs';
import { PACKAGE_NAME, packAndInstall, runClean } from './pack-install.mjs';

// The package may not ship more than this many files: a sign that `files` leaks the tree. The
// bound follows the manifest: each WebAssembly module is four files (the .wasm, its glue and their
// two .d.ts), the IANA time-zone files are ~600 (sdk-ts/tzdata/, one small TZif file per zone),
// the compiled SDK (dist/: .js, .d.ts and their maps) under 200, package.json and the README.
const TZDATA_FILES_MAX = 700;
const DIST_FILES_MAX = 200;
const FILES_PER_MODULE = 4;
const PACKED_FILES_COUNT_MAX = TZDATA_FILES_MAX + DIST_FILES_MAX + FILES_PER_MODULE * readManifest().modules.length + 2;

// RFC 8032 §7.1, TEST 1: empty message.
const RFC8032_TEST1 = {
  publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  message: '',
  signature:
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
};

/** A secp256k1 vector signed here by @noble/curves: ECDSA over SHA-256(message), RFC 6979, low-S, compact r‖s. */
function nobleSecp256k1Vector() {
  const secretKey = Uint8Array.from(Buffer.from('c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721', 'hex'));
  const message = new TextEncoder().encode('countersign packaging test');
  const signature = secp256k1.sign(message, secretKey, { prehash: true, lowS: true, format: 'compact' });
  assert.equal(secp256k1.verify(signature, message, secp256k1.getPublicKey(secretKey, true)), true, 'noble self-check');
  return {
    publicKey: Buffer.from(secp256k1.getPublicKey(secretKey, true)).toString('hex'),
    message: Buffer.from(message).toString('hex'),
    signature: Buffer.from(signature).toString('hex'),
  };
}

function flipByteAt(hex, index) {
  const bytes = Buffer.from(hex, 'hex');
  bytes[(index + bytes.length) % bytes.length] ^= 0x01;
  return bytes.toString('hex');
}

const VECTORS = (() => {
  const secp = nobleSecp256k1Vector();
  return {
    ed25519: RFC8032_TEST1,
    // Flip inside S's least significant byte: still canonical, just wrong.
    ed25519Tampered: { ...RFC8032_TEST1, signature: flipByteAt(RFC8032_TEST1.signature, 32) },
    secp256k1: secp,
    // Flip s's least significant byte: still low-S, just wrong.
    secp256k1Tampered: { ...secp, signature: flipByteAt(secp.signature, -1) },
  };
})();

// The same checks run in Node and in the browser: the vectors go in as JSON, the booleans come out.
const CHECK_SOURCE = `
const hex = (s) => Uint8Array.from((s.match(/../g) ?? []).map((b) => parseInt(b, 16)));
export function runChecks(sdk, v) {
  return {
    initialized: sdk.isInitialized(),
    ed25519: sdk.verifyEd25519(hex(v.ed25519.publicKey), hex(v.ed25519.message), hex(v.ed25519.signature)),
    ed25519Tampered: sdk.verifyEd25519(hex(v.ed25519Tampered.publicKey), hex(v.ed25519Tampered.message), hex(v.ed25519Tampered.signature)),
    secp256k1: sdk.verifySecp256k1(hex(v.secp256k1.publicKey), hex(v.secp256k1.message), hex(v.secp256k1.signature), { format: 'compact' }),
    secp256k1Tampered: sdk.verifySecp256k1(hex(v.secp256k1Tampered.publicKey), hex(v.secp256k1Tampered.message), hex(v.secp256k1Tampered.signature), { format: 'compact' }),
  };
}
`;

const EXPECTED_RESULTS = { initialized: true, ed25519: true, ed25519Tampered: false, secp256k1: true, secp256k1Tampered: false };

/** Every file under dir, as package-relative POSIX paths. */
async function listFiles(dir, prefix = '') {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(path.join(dir, entry.name), rel)));
    else out.push(rel);
  }
  return out;
}

describe('packaging: npm pack, install in a fresh project, use from Node and Chromium', () => {
  let tempRoot;
  let tarballPath;
  let packedFiles;
  let projectDir;
  let installedDir;

  before(async () => {
    assertSdkBuilt();
    tempRoot = await mkdtemp(path.join(os.tmpdir(), 'countersign-pack-'));
    ({ tarballPath, packedFiles, projectDir, installedDir } = await packAndInstall(tempRoot, 'countersign-pack-smoke'));
  });

  after(async () => {
    if (tempRoot) await rm(tempRoot, { recursive: true, force: true });
  });

  test('the tarball holds the wasm, the entries, and no tests or stray files', async () => {
    assert.ok(existsSync(tarballPath), 'npm pack produced a tarball');
    assert.ok(packedFiles.length <= PACKED_FILES_COUNT_MAX, `${packedFiles.length} files packed (at most ${PACKED_FILES_COUNT_MAX})`);
    const under = (dir) => packedFiles.filter((f) => f.startsWith(`${dir}/`)).length;
    assert.ok(under('tzdata') <= TZDATA_FILES_MAX, `${under('tzdata')} time-zone files`);
    assert.ok(under('dist') <= DIST_FILES_MAX, `${under('dist')} files of the compiled SDK`);
    assert.equal(under('wasm'), FILES_PER_MODULE * readManifest().modules.length, 'four files per WebAssembly module, nothing else under wasm/');
    // Every module in systems.json, each with its own glue ('all' at the root of wasm/).
    const modules = readManifest().modules.map((m) => path.posix.join('wasm', moduleDir(m.name)));
    assert.ok(modules.length >= 2, 'systems.json lists the modules');
    const moduleFiles = modules.flatMap((dir) => [`${dir}/countersign_wasm_bg.wasm`, `${dir}/countersign_wasm.js`]);
    for (const required of [...moduleFiles, 'package.json', 'dist/index.js', 'dist/manifest.js', 'dist/node.js', 'dist/index.d.ts', 'dist/node.d.ts', 'tzdata/index.json', 'tzdata/Europe/Paris']) {
      assert.ok(packedFiles.includes(required), `packed files include ${required}: ${packedFiles.join(', ')}`);
    }
    const forbidden = packedFiles.filter(
      (f) => /(^|\/)(test|tests|__tests__)\//.test(f) || /\.test\.[cm]?[jt]s$/.test(f) || /(^|\/)(src|node_modules)\//.test(f) || /(^|\/)tsconfig[^/]*\.json$/.test(f),
    );
    assert.deepEqual(forbidden, [], 'no tests, sources, node_modules or build config in the package');
    const wasmBytes = await readFile(path.join(installedDir, 'wasm', 'countersign_wasm_bg.wasm'));
    assert.deepEqual([...wasmBytes.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d], 'installed wasm starts with \\0asm');
  });

  test('source maps stay inside the package and resolve', async () => {
    const installedFiles = new Set(await listFiles(installedDir));
    const problems = [];
    for (const file of installedFiles) {
      if (/\.(m?js|d\.ts)$/.test(file)) {
        const text = await readFile(path.join(installedDir, file), 'utf8');
        for (const match of text.matchAll(/[#@] sourceMappingURL=(\S+)/g)) {
          const target = match[1];
          if (target.startsWith('data:')) continue;
          const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), target));
          if (resolved.startsWith('..') || !installedFiles.has(resolved)) problems.push(`${file} -> sourceMappingURL ${target} (not in package)`);
        }
      }
      if (!file.endsWith('.map')) continue;
      const map = JSON.parse(await readFile(path.join(installedDir, file), 'utf8'));
      const sourceRoot = map.sourceRoot ?? '';
      (map.sources ?? []).forEach((source, index) => {
        if (/^[a-z]+:/i.test(source) && !source.startsWith('webpack:')) {
          problems.push(`${file}: source ${source} is an absolute URL`);
          return;
        }
        const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), sourceRoot, source));
        const embedded = typeof map.sourcesContent?.[index] === 'string';
        if (resolved.startsWith('..') || path.posix.isAbsolute(resolved)) problems.push(`${file}: source ${source} points outside the package`);
        else if (!embedded && !installedFiles.has(resolved)) problems.push(`${file}: source ${source} is neither shipped nor embedded`);
      });
    }
    assert.deepEqual(problems, []);
  });

  test('Node ESM: import from the installed package verifies known signatures', async () => {
    await writeFile(path.join(projectDir, 'checks.mjs'), CHECK_SOURCE);
    await writeFile(
      path.join(projectDir, 'node-check.mjs'),
      `import * as sdk from '${PACKAGE_NAME}';
import { runChecks } from './checks.mjs';
const vectors = JSON.parse(process.env.COUNTERSIGN_VECTORS);
const results = runChecks(sdk, vectors);
results.resolvedEntry = import.meta.resolve('${PACKAGE_NAME}');
// pg is an optional peer dependency, not installed here: the Node entry still loads, and
// PostgresStorage says what is missing when it is used.
results.postgresWithoutPg = await new sdk.PostgresStorage('postgres://nobody@127.0.0.1:1/none').get('k').then(
  () => 'resolved',
  (e) => e.code + (/needs the "pg" package/.test(e.message) ? ': needs pg' : ': ' + e.message),
);
console.log(JSON.stringify(results));
`,
    );
    const { stdout } = await runClean(process.execPath, ['node-check.mjs'], projectDir, {
      extraEnv: { COUNTERSIGN_VECTORS: JSON.stringify(VECTORS) },
    });
    const { resolvedEntry, postgresWithoutPg, ...results } = JSON.parse(stdout.trim().split('\n').pop());
    assert.deepEqual(results, EXPECTED_RESULTS);
    assert.equal(postgresWithoutPg, 'STORAGE_UNAVAILABLE: needs pg');
    const packageJson = JSON.parse(await readFile(path.join(installedDir, 'package.json'), 'utf8'));
    const nodeCondition = packageJson.exports['.'].node;
    const nodeEntry = typeof nodeCondition === 'string' ? nodeCondition : nodeCondition.default;
    assert.ok(resolvedEntry.endsWith(nodeEntry.replace(/^\.\//, '/')), `Node resolves the "node" condition: ${resolvedEntry}`);
  });

  test('Chromium: the "browser" export, via an import map, verifies the same signatures', async () => {
    const packageJson = JSON.parse(await readFile(path.join(installedDir, 'package.json'), 'utf8'));
    const browserEntry = packageJson.exports?.['.']?.browser;
    assert.equal(typeof browserEntry, 'string', 'exports["."].browser is a path');
    const browserEntryUrl = `/pkg/${browserEntry.replace(/^\.\//, '')}`;

    const pageDir = path.join(tempRoot, 'page');
    await mkdir(pageDir);
    await writeFile(path.join(pageDir, 'checks.mjs'), CHECK_SOURCE);
    await writeFile(
      path.join(pageDir, 'index.html'),
      `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>pack check</title>
<script type="importmap">${JSON.stringify({ imports: { [PACKAGE_NAME]: browserEntryUrl } })}</script>
<script type="module">
import * as sdk from '${PACKAGE_NAME}';
import { runChecks } from './checks.mjs';
const out = document.getElementById('out');
try {
  const before = sdk.isInitialized();
  await sdk.init();
  out.textContent = JSON.stringify({ before, ...runChecks(sdk, ${JSON.stringify(VECTORS)}) });
} catch (err) {
  out.textContent = JSON.stringify({ error: String(err && err.code || ''), message: String(err && err.message || err) });
}
out.dataset.done = 'true';
</script></head>
<body><pre id="out"></pre></body></html>
`,
    );

    const server = await startServer({ port: 0, mounts: { '/pkg/': installedDir, '/': pageDir } });
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const problems = [];
      page.on('console', (m) => m.type() === 'error' && problems.push(`console.error: ${m.text()}`));
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      await page.goto(server.url);
      await page.waitForSelector('#out[data-done="true"]', { timeout: SDK_READY_TIMEOUT_MS });
      const { before: initializedBeforeInit, ...results } = JSON.parse(await page.textContent('#out'));
      assert.deepEqual(results, EXPECTED_RESULTS);
      assert.equal(initializedBeforeInit, false, 'the browser entry needs init() before use');
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
