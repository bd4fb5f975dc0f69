// The demo server the browser tests rely on: mounts, MIME types, 404s and no
// way out of its roots. Uses raw node:http requests because fetch() would
// normalise '..' segments away before they reach the server.

import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { resolveRequestPath, startServer } from '../../scripts/serve.mjs';

function rawGet(baseUrl, rawPath) {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.get({ hostname, port, path: rawPath }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
  });
}

describe('scripts/serve.mjs', () => {
  let tempDir;
  let server;

  before(async () => {
    // A private tree with a secret beside the roots, so traversal has something to find.
    tempDir = await mkdtemp(path.join(os.tmpdir(), 'countersign-serve-'));
    await mkdir(path.join(tempDir, 'site', 'sub'), { recursive: true });
    await mkdir(path.join(tempDir, 'pkg', 'wasm'), { recursive: true });
    await writeFile(path.join(tempDir, 'secret.txt'), 'top secret');
    await writeFile(path.join(tempDir, 'site', 'index.html'), '<!doctype html><title>home</title>');
    await writeFile(path.join(tempDir, 'site', 'sub', 'index.html'), '<!doctype html><title>sub</title>');
    await writeFile(path.join(tempDir, 'site', 'app.js'), 'export {};');
    await writeFile(path.join(tempDir, 'site', 'style.css'), 'body{}');
    await writeFile(path.join(tempDir, 'pkg', 'entry.mjs'), 'export {};');
    await writeFile(path.join(tempDir, 'pkg', 'wasm', 'm.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    server = await startServer({
      port: 0,
      mounts: { '/sdk/': path.join(tempDir, 'pkg'), '/': path.join(tempDir, 'site') },
    });
  });

  after(async () => {
    await server?.close();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  });

  test('listens on loopback and reports its URL', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(server.server.address().address, '127.0.0.1');
  });

  test('serves files with the right MIME types', async () => {
    const cases = [
      ['/', 'text/html; charset=utf-8'],
      ['/app.js', 'text/javascript; charset=utf-8'],
      ['/style.css', 'text/css; charset=utf-8'],
      ['/sdk/entry.mjs', 'text/javascript; charset=utf-8'],
      ['/sdk/wasm/m.wasm', 'application/wasm'],
    ];
    for (const [urlPath, mime] of cases) {
      const res = await rawGet(server.url, urlPath);
      assert.equal(res.status, 200, urlPath);
      assert.equal(res.headers['content-type'], mime, urlPath);
    }
    const wasm = await rawGet(server.url, '/sdk/wasm/m.wasm');
    assert.deepEqual([...wasm.body.subarray(0, 4)], [0, 0x61, 0x73, 0x6d]);
  });

  test('directories: index.html, with a redirect to the trailing slash', async () => {
    const redirect = await rawGet(server.url, '/sub');
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.location, '/sub/');
    const index = await rawGet(server.url, '/sub/');
    assert.equal(index.status, 200);
    assert.match(index.body.toString(), /<title>sub<\/title>/);
  });

  test('missing files are 404', async () => {
    assert.equal((await rawGet(server.url, '/nope.html')).status, 404);
    assert.equal((await rawGet(server.url, '/sdk/nope.js')).status, 404);
  });

  test('paths escaping a root are refused', async () => {
    const attempts = [
      '/../secret.txt',
      '/sdk/../../secret.txt',
      '/sdk/../secret.txt',
      '/%2e%2e/secret.txt',
      '/sdk/%2e%2e/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/..%5csecret.txt',
      '/%00',
      '/%E0%A4%A',
    ];
    for (const attempt of attempts) {
      const res = await rawGet(server.url, attempt);
      assert.ok([400, 403, 404].includes(res.status), `${attempt} -> ${res.status}`);
      assert.ok(!res.body.toString().includes('top secret'), `${attempt} leaked the secret`);
    }
  });

  test('resolveRequestPath keeps every path inside its mount', () => {
    const mounts = { '/sdk/': '/srv/pkg', '/': '/srv/site' };
    assert.equal(resolveRequestPath('/a/b.js', mounts), '/srv/site/a/b.js');
    assert.equal(resolveRequestPath('/sdk/dist/index.js', mounts), '/srv/pkg/dist/index.js');
    assert.equal(resolveRequestPath('/sdk/../site/x', mounts), null);
    assert.equal(resolveRequestPath('/../etc/passwd', mounts), null);
    assert.equal(resolveRequestPath('/%2e%2e/etc/passwd', mounts), null);
    // A sibling directory whose name merely starts with the root's name is outside too.
    assert.equal(resolveRequestPath('/../site-private/x', mounts), null);
  });

  test('only GET and HEAD', async () => {
    const { hostname, port } = new URL(server.url);
    const status = await new Promise((resolve, reject) => {
      const req = http.request({ hostname, port, path: '/', method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 405);
  });
});
