// Packs @countersign/sdk exactly as npm would publish it and installs the tarball, offline, in a
// fresh project: shared by the packaging test (Node ESM and a plain page) and the bundler test
// (a Vite project), so both test the very same install steps.

import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../browser/helpers.mjs';

const execFileAsync = promisify(execFile);
export const SDK_DIR = path.join(REPO_ROOT, 'sdk-ts');
export const PACKAGE_NAME = '@countersign/sdk';
export const COMMAND_TIMEOUT_MS = 120_000;
const COMMAND_OUTPUT_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Runs a command outside npm's influence: under `npm test`, npm exports npm_config_* (local
 * prefix, workspace) that would make a nested install target the repository instead of the temp
 * project. `extraEnv` is added to the environment; killed with SIGKILL after `timeout`.
 */
export function runClean(command, args, cwd, { timeout = COMMAND_TIMEOUT_MS, extraEnv = {} } = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  env.npm_config_update_notifier = 'false';
  Object.assign(env, extraEnv);
  return execFileAsync(command, args, { cwd, env, timeout, maxBuffer: COMMAND_OUTPUT_MAX_BYTES, killSignal: 'SIGKILL' });
}

/**
 * `npm pack` of the SDK into `<tempRoot>/tarball`, then a fresh `<tempRoot>/project` (package
 * name `projectName`, ESM) with the tarball installed. The SDK has no runtime dependencies, so the
 * install needs nothing but the tarball (`--offline`).
 * @returns {{ tarballPath: string, packedFiles: string[], projectDir: string, installedDir: string }}
 */
export async function packAndInstall(tempRoot, projectName) {
  const packDir = path.join(tempRoot, 'tarball');
  await mkdir(packDir);
  const { stdout } = await runClean('npm', ['pack', '--json', '--pack-destination', packDir], SDK_DIR);
  const [packResult] = JSON.parse(stdout);
  const tarballPath = path.join(packDir, packResult.filename);
  const packedFiles = packResult.files.map((f) => f.path);

  const projectDir = path.join(tempRoot, 'project');
  await mkdir(projectDir);
  await writeFile(
    path.join(projectDir, 'package.json'),
    JSON.stringify({ name: projectName, version: '0.0.0', private: true, type: 'module' }, null, 2),
  );
  await runClean('npm', ['install', tarballPath, '--no-audit', '--no-fund', '--offline', '--no-package-lock'], projectDir);
  const installedDir = path.join(projectDir, 'node_modules', ...PACKAGE_NAME.split('/'));
  return { tarballPath, packedFiles, projectDir, installedDir };
}
