// `node:fs` for the vector tests in a page: the two synchronous reads they make, served from
// files the page fetched before importing the test (preload). Anything else is refused loudly.
const files = new Map(); // URL pathname -> text

/** Fetches `paths` (URL pathnames) so that the synchronous reads below can answer. */
export async function preload(paths) {
  await Promise.all(
    paths.map(async (p) => {
      const response = await fetch(p);
      if (!response.ok) throw new Error(`preload ${p}: HTTP ${response.status}`);
      files.set(p, await response.text());
    }),
  );
}

function pathnameOf(target) {
  return new URL(String(target), location.href).pathname;
}

export function readFileSync(target, encoding) {
  const p = pathnameOf(target);
  if (!files.has(p)) throw new Error(`node:fs shim: ${p} was not preloaded`);
  if (encoding !== 'utf8' && encoding !== 'utf-8') throw new Error('node:fs shim: only utf8 text');
  return files.get(p);
}

export function readdirSync(target) {
  let dir = pathnameOf(target);
  if (!dir.endsWith('/')) dir += '/';
  const names = new Set();
  for (const p of files.keys()) if (p.startsWith(dir)) names.add(p.slice(dir.length).split('/')[0]);
  return [...names].sort();
}

export default { readFileSync, readdirSync };
