#!/usr/bin/env node
// Dependency-free static server for the browser demo and the browser tests.
//
//   /        -> examples-web/
//   /sdk/... -> sdk-ts/ (so pages import '/sdk/dist/index.js' and the SDK's
//               default init() finds '/sdk/wasm/countersign_wasm_bg.wasm')
//   /vendor/uplot/... -> node_modules/uplot/dist/ (the shelf page's chart library, an npm
//               devDependency served from the install: no CDN)
//
//   /dose/alarms -> a WebSocket: System 9's management server (AlarmDeliveryServer, the SDK's
//               Node entry) routing a demo patient's alarms to the caregiver page
//               (examples-web/dose-caregiver.html); its router lives in memory for the demo
//
// Binds to 127.0.0.1 only. Usage: `PORT=8080 node scripts/serve.mjs`
// (PORT=0 picks a free port). Tests import startServer() and use port 0.

import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';

/** Default mounts: URL prefix -> directory on disk. Longest prefix wins. */
export const DEFAULT_MOUNTS = Object.freeze({
  '/sdk/': path.join(repoRoot, 'sdk-ts'),
  '/vendor/uplot/': path.join(repoRoot, 'node_modules', 'uplot', 'dist'),
  // The relay page's QR code renderer (an npm package, ESM build).
  '/vendor/qrcode-generator/': path.join(repoRoot, 'node_modules', 'qrcode-generator', 'dist'),
  '/': path.join(repoRoot, 'examples-web'),
});

// Types the demo and the SDK ship. Anything else is served as bytes.
export const MIME_TYPES = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
});

// A request path longer than this is refused outright: no legitimate asset needs it.
const URL_PATH_LENGTH_MAX_CHARS = 2048;

/** Where the demo's alarm WebSocket is served. */
export const DOSE_ALARMS_PATH = '/dose/alarms';

/**
 * The demo patient's alarm routing (System 9): the patient, a caregiver, the doctor and the
 * risk-management centre; high priority climbs patient 30 s → caregiver 60 s → doctor 120 s →
 * centre (repeated every 300 s); everything else patient 60 s → caregiver 300 s.
 */
export const DOSE_DEMO_SETUP = Object.freeze({
  routerId: 'demo-patient',
  recipients: [
    { id: 'pat', role: 'patient' }, { id: 'mum', role: 'caregiver' }, { id: 'doc', role: 'doctor' }, { id: 'centre', role: 'centre' },
  ],
  policies: [
    { priority: 'high', steps: [
      { role: 'patient', ackTimeoutMs: 30_000 }, { role: 'caregiver', ackTimeoutMs: 60_000 },
      { role: 'doctor', ackTimeoutMs: 120_000 }, { role: 'centre', ackTimeoutMs: 300_000 },
    ] },
    { steps: [{ role: 'patient', ackTimeoutMs: 60_000 }, { role: 'caregiver', ackTimeoutMs: 300_000 }] },
  ],
  receiptTimeoutMs: 10_000,
});
/** Demo-only secrets (the page's `?as=` picks one; a real terminal keeps its own). */
export const DOSE_DEMO_TOKENS = Object.freeze({ pat: 'demo-pat', mum: 'demo-mum', doc: 'demo-doc', centre: 'demo-centre' });

export function mimeTypeFor(filePath) {
  return MIME_TYPES[path.extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Map a URL pathname to a file inside one of the mounts, or null when the
 * path is malformed or would escape its mount's root (directory traversal).
 */
export function resolveRequestPath(urlPathname, mounts = DEFAULT_MOUNTS) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPathname);
  } catch {
    return null; // malformed percent-encoding
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;

  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const prefix = prefixes.find((p) => decoded.startsWith(p));
  if (prefix === undefined) return null;

  const root = path.resolve(mounts[prefix]);
  const relative = decoded.slice(prefix.length);
  const resolved = path.resolve(root, '.' + path.posix.sep + relative);
  // Must stay inside the root: equal to it, or below it with a separator boundary.
  if (resolved !== root && !resolved.startsWith(root + path.sep)) return null;
  return resolved;
}

function sendText(res, status, text) {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

async function handleRequest(req, res, mounts) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return sendText(res, 405, 'method not allowed\n');
  }
  const rawPath = (req.url ?? '/').split('?')[0].split('#')[0];
  if (rawPath.length > URL_PATH_LENGTH_MAX_CHARS) return sendText(res, 414, 'uri too long\n');

  let filePath = resolveRequestPath(rawPath, mounts);
  if (filePath === null) return sendText(res, 403, 'forbidden\n');

  let info;
  try {
    info = await stat(filePath);
    if (info.isDirectory()) {
      // Redirect '/dir' to '/dir/' so relative URLs inside index.html resolve.
      if (!rawPath.endsWith('/')) {
        res.writeHead(301, { Location: rawPath + '/' });
        return res.end();
      }
      filePath = path.join(filePath, 'index.html');
      info = await stat(filePath);
    }
  } catch {
    return sendText(res, 404, 'not found\n');
  }
  if (!info.isFile()) return sendText(res, 404, 'not found\n');

  res.writeHead(200, {
    'Content-Type': mimeTypeFor(filePath),
    'Content-Length': info.size,
    // The demo is rebuilt often; never let the browser serve a stale wasm.
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  if (req.method === 'HEAD') return res.end();
  const stream = createReadStream(filePath);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

/**
 * Start the static server. Resolves once it is listening.
 * `doseAlarms` (false by default) also serves System 9's alarm WebSocket at DOSE_ALARMS_PATH:
 * `true` for the demo setup, or `{ setup, tokens, tickIntervalMs, clock }` (tests shorten the ladder
 * and move the server's clock).
 * @param {{ port?: number, host?: string, mounts?: Record<string, string>, doseAlarms?: boolean | object }} [options]
 * @returns {Promise<{ server: import('node:http').Server, url: string, close: () => Promise<void>, doseAlarms?: object }>}
 */
export async function startServer({ port = DEFAULT_PORT, host = DEFAULT_HOST, mounts = DEFAULT_MOUNTS, doseAlarms = false } = {}) {
  const server = createServer((req, res) => {
    handleRequest(req, res, mounts).catch(() => {
      if (!res.headersSent) sendText(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const url = `http://${host}:${address.port}/`;
  let alarms;
  if (doseAlarms) {
    // Imported only when asked: the static server stays dependency-free otherwise.
    const sdk = await import('@countersign/sdk');
    const given = doseAlarms === true ? {} : doseAlarms;
    alarms = await sdk.AlarmDeliveryServer.start({
      storage: new sdk.MemoryStorage(),
      snapshotKey: new Uint8Array(32).fill(7), // demo only: the router lives in memory
      setup: given.setup ?? DOSE_DEMO_SETUP,
      tokens: given.tokens ?? DOSE_DEMO_TOKENS,
      tickIntervalMs: given.tickIntervalMs ?? 1_000,
      // Tests move the server's time forward (a snooze's end) without waiting for it.
      ...(given.clock === undefined ? {} : { clock: given.clock }),
      attach: { server, path: DOSE_ALARMS_PATH },
    });
  }
  const close = async () => {
    await alarms?.close();
    await new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    });
  };
  return { server, url, close, doseAlarms: alarms };
}

const invokedDirectly = process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url;
if (invokedDirectly) {
  const port = process.env.PORT === undefined || process.env.PORT === '' ? DEFAULT_PORT : Number(process.env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve: PORT must be an integer 0..65535, got ${JSON.stringify(process.env.PORT)}`);
    process.exit(2);
  }
  const { url } = await startServer({ port, doseAlarms: true });
  console.log(`countersign demo: ${url}  (SDK at ${url}sdk/)`);
}
