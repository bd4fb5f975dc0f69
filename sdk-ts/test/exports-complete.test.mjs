// Every name a system file exports reaches the package's entry points.
//
// Two `export *` of one name are a compile error (TS2308), but an explicit export of a name
// silently shadows what an `export *` brings under that name (ECMAScript's rule, no diagnostic):
// session 9's router types `TransferFormat` / `TransferInstruction` / `TransferMessage`, exported by
// name from the Node entry, hid the resolver's types of the same names that came through
// `export * from './api.js'` until they were renamed. This test asks the TypeScript checker, for
// every module an entry point re-exports with `export *`, whether each of its names still reaches
// the entry as that module's own declaration, values and types alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

const srcDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');
/** Entry points whose `export *` lists are checked (the browser/Node API and the Node entry). */
const ENTRY_FILES = ['api.ts', 'index.ts', 'node.ts'];
/** A bound on the `export *` chain walked from one entry point (api.ts → storage/index.ts → …). */
const STAR_DEPTH_MAX = 4;

const program = ts.createProgram(ENTRY_FILES.map((f) => path.join(srcDir, f)), {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
});
const checker = program.getTypeChecker();

function moduleExports(checker, source) {
  const symbol = checker.getSymbolAtLocation(source);
  return symbol === undefined ? [] : checker.getExportsOfModule(symbol);
}

/** The declaration an exported name finally stands for (through re-exports). */
function target(checker, symbol) {
  return (symbol.flags & ts.SymbolFlags.Alias) !== 0 ? checker.getAliasedSymbol(symbol) : symbol;
}

/** Names `starFile` exports that reach `entryFile` as something else, or not at all. */
function shadowedNames(aProgram, entryFile, starFile) {
  const aChecker = aProgram.getTypeChecker();
  const entry = aProgram.getSourceFile(entryFile);
  const star = aProgram.getSourceFile(starFile);
  assert.ok(entry && star, `${entryFile} and ${starFile} are part of the program`);
  const entryExports = new Map(moduleExports(aChecker, entry).map((s) => [s.getName(), target(aChecker, s)]));
  return moduleExports(aChecker, star)
    .filter((s) => entryExports.get(s.getName()) !== target(aChecker, s))
    .map((s) => s.getName());
}

/** The files an entry re-exports whole (`export * from '…'`), followed through re-exporting files. */
function starTargets(file, depth = 0) {
  const source = program.getSourceFile(file);
  const targets = [];
  if (source === undefined || depth > STAR_DEPTH_MAX) return targets;
  for (const statement of source.statements) {
    if (!ts.isExportDeclaration(statement) || statement.exportClause !== undefined || statement.moduleSpecifier === undefined) continue;
    const resolved = ts.resolveModuleName(statement.moduleSpecifier.text, file, program.getCompilerOptions(), ts.sys).resolvedModule;
    assert.ok(resolved, `${path.basename(file)}: export * from ${statement.moduleSpecifier.text} resolves`);
    targets.push(resolved.resolvedFileName, ...starTargets(resolved.resolvedFileName, depth + 1));
  }
  return targets;
}

test('every name an entry point re-exports with `export *` reaches it', () => {
  let checked = 0;
  for (const entry of ENTRY_FILES) {
    const entryFile = path.join(srcDir, entry);
    for (const starFile of starTargets(entryFile)) {
      const lost = shadowedNames(program, entryFile, starFile);
      assert.deepEqual(lost, [], `${entry} does not export ${path.relative(srcDir, starFile)}'s ${lost.join(', ')}: another export of the same name shadows it`);
      checked += 1;
    }
  }
  // api.ts re-exports a dozen system files whole: a walk that found none checked nothing.
  assert.ok(checked >= 10, `walked ${checked} export * targets`);
});

test('the check catches an explicit export shadowing an `export *`', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'countersign-clash-'));
  try {
    writeFileSync(path.join(dir, 'a.ts'), 'export const shared = 1;\nexport type OnlyA = string;\n');
    writeFileSync(path.join(dir, 'b.ts'), 'export const shared = 3;\n');
    writeFileSync(path.join(dir, 'entry.ts'), "export * from './a.js';\nexport { shared } from './b.js';\n");
    writeFileSync(path.join(dir, 'fine.ts'), "export * from './a.js';\n");
    const files = ['entry.ts', 'fine.ts', 'a.ts'].map((f) => path.join(dir, f));
    const clashProgram = ts.createProgram(files, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true, skipLibCheck: true });
    assert.deepEqual(shadowedNames(clashProgram, files[0], files[2]), ['shared']);
    assert.deepEqual(shadowedNames(clashProgram, files[1], files[2]), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
