// `npm run check:layers`: the import rules of src/ (docs/architecture.md), checked with
// dependency-cruiser (.dependency-cruiser.cjs: no upward import between ranks, no production import
// of test code, no module cycle), plus two checks on its output: no cycle between top-level rooms,
// and no top-level room outside the ranks. Then it proves the check can fail: it copies src/ to a
// scratch folder, injects one violation of each kind, and expects each to be reported.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const { RANKS } = require(join(root, 'tools/layer-ranks.cjs'));
const ROOMS = new Set([...RANKS.flat(), 'tests']);

/** Every file under `dir` whose name ends with `ext`. */
function walk(dir, ext = '.ts') {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name), ext) : e.name.endsWith(ext) ? [join(dir, e.name)] : []));
}

/** Every problem in the tree at `dir`, as printable lines. */
function check(dir) {
  const problems = [];
  for (const name of readdirSync(join(dir, 'src'))) {
    if (!ROOMS.has(name)) problems.push(`unknown-room: src/${name} is not one of the rooms of src/ (${[...ROOMS].join(', ')})`);
  }
  // Short files with one job each: at most 400 lines in src/ and shaders/ (generated files aside).
  for (const file of [...walk(join(dir, 'src')), ...(existsSync(join(dir, 'shaders')) ? walk(join(dir, 'shaders'), '.wgsl') : [])]) {
    if (file.endsWith('.gen.ts')) continue;
    const lines = readFileSync(file, 'utf8').split('\n').length - 1;
    if (lines > 400) problems.push(`max-400-lines: ${file.slice(dir.length + 1)} has ${lines} lines; split it by job`);
  }
  // Families schedule, never run (docs/architecture.md): no submit or map under src/models/.
  for (const file of walk(join(dir, 'src/models'))) {
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, '');
      if (/\.submit\(|\bmapAsync\(|\bqueue\.onSubmittedWorkDone\(/.test(code) && !/^\s*\*/.test(code)) {
        problems.push(`no-running-in-models: ${file.slice(dir.length + 1)}:${i + 1} runs GPU work (${code.trim()}); schedule it and let the engine's driver run it`);
      }
    });
  }
  let out;
  try {
    out = execFileSync(join(root, 'node_modules/.bin/depcruise'), ['src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], { cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20 });
  } catch (e) {
    out = e.stdout; // depcruise exits non-zero when it finds violations; the JSON is still printed
    if (!out) throw e;
  }
  const result = JSON.parse(out);
  for (const v of result.summary.violations) {
    const via = v.cycle ? ` (cycle: ${v.cycle.map((c) => c.name ?? c).join(' → ')})` : '';
    problems.push(`${v.rule.name}: ${v.from} → ${v.to}${via}`);
  }
  // Folder-level cycles: an edge between two rooms for every import that crosses rooms.
  const roomOf = (p) => p.split('/')[1];
  const edges = new Map();
  for (const m of result.modules) {
    if (!m.source.startsWith('src/') || roomOf(m.source) === 'tests') continue;
    for (const d of m.dependencies) {
      if (!d.resolved.startsWith('src/')) continue;
      const [a, b] = [roomOf(m.source), roomOf(d.resolved)];
      if (a === b) continue;
      if (!edges.has(a)) edges.set(a, new Map());
      if (!edges.get(a).has(b)) edges.get(a).set(b, `${m.source} → ${d.resolved}`);
    }
  }
  const state = new Map();
  const stack = [];
  const visit = (a) => {
    state.set(a, 'open');
    stack.push(a);
    for (const b of edges.get(a)?.keys() ?? []) {
      if (state.get(b) === 'open') {
        const loop = [...stack.slice(stack.indexOf(b)), b];
        const how = loop.slice(0, -1).map((x, i) => edges.get(x).get(loop[i + 1]));
        problems.push(`no-folder-cycles: ${loop.join(' → ')} (${how.join('; ')})`);
      } else if (!state.has(b)) visit(b);
    }
    stack.pop();
    state.set(a, 'done');
  };
  for (const a of edges.keys()) if (!state.has(a)) visit(a);
  return problems;
}

/** Copy of the tree with `edits` applied ({ path: text appended }), checked, then removed. */
function checkInjected(edits) {
  const dir = mkdtempSync(join(tmpdir(), 'nextscale-layers-'));
  try {
    cpSync(join(root, 'src'), join(dir, 'src'), { recursive: true });
    for (const f of ['tsconfig.json', '.dependency-cruiser.cjs']) cpSync(join(root, f), join(dir, f));
    cpSync(join(root, 'tools/layer-ranks.cjs'), join(dir, 'tools/layer-ranks.cjs'));
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    for (const [path, text] of Object.entries(edits)) {
      const file = join(dir, path);
      writeFileSync(file, (existsSync(file) ? readFileSync(file, 'utf8') : '') + text);
    }
    return check(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const problems = check(root);
for (const p of problems) console.log(`✗ ${p}`);
console.log(problems.length ? `${problems.length} layer violations` : '✔ layers: no upward import, no test code in production, no module or folder cycle, no GPU work run by a model family, no file over 400 lines');

// The check must be able to fail: each injected violation must be reported by the rule meant to catch it.
const injections = [
  ['an upward import (gpu → engine)', { 'src/gpu/device.ts': "\nimport '../engine/engine';\n" }, 'no-upward-from-formats-gpu-tokenizer'],
  ['a production import of a CPU reference', { 'src/models/var/generator.ts': "\nimport '../../kernels/reference/sample';\n" }, 'no-tests-in-production'],
  ['a folder cycle within one rank (formats ↔ tokenizer)', { 'src/formats/image-fit.ts': "\nimport '../tokenizer/text-tokenizer';\n", 'src/tokenizer/text-tokenizer.ts': "\nimport '../formats/f16';\n" }, 'no-folder-cycles'],
  ['a module cycle', { 'src/formats/f16.ts': "\nimport './safetensors';\n", 'src/formats/safetensors.ts': "\nimport './f16';\n" }, 'no-module-cycles'],
  ['a readback in a model family', { 'src/models/var/generator.ts': "\nimport '../../gpu/readback';\n" }, 'no-readback-in-models'],
  ['a submit in a model family', { 'src/models/var/generator.ts': '\nexport const run = (rec: { submit(): void }) => rec.submit();\n' }, 'no-running-in-models'],
  ['a file over 400 lines', { 'src/engine/long.ts': '// line\n'.repeat(401) }, 'max-400-lines'],
  ['a new top-level room', { 'src/misc.ts': 'export const x = 1;\n' }, 'unknown-room'],
];
let selfTestFailed = 0;
for (const [what, edits, rule] of injections) {
  const found = checkInjected(edits).filter((p) => p.startsWith(`${rule}:`) && !problems.includes(p));
  if (found.length) console.log(`✔ self-test: ${what} is caught (${found[0]})`);
  else {
    console.log(`✗ self-test: ${what} was NOT caught by ${rule}`);
    selfTestFailed++;
  }
}
console.log(`${injections.length - selfTestFailed + (problems.length ? 0 : 1)} passed, ${selfTestFailed + (problems.length ? 1 : 0)} failed`);
process.exit(problems.length || selfTestFailed ? 1 : 0);
