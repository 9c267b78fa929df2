// Runs every test stage in order (the README's test command), streams their output, and ends with
// one summary line "N passed, N failed, N skipped" counted from each runner's own report. Every test
// here is required: a skipped one fails the run like a failed one.
import { spawn } from 'node:child_process';

const stages = [
  ['typecheck', 'npm run typecheck'],
  ['layers (dependency-cruiser)', 'npm run check:layers'],
  ['unit (node:test)', 'npm run test:unit'],
  ['browser (Playwright, Chromium WebGPU)', 'npm run test:browser'],
  ['kernels in Node (Dawn)', 'npm run test:node'],
  ['default model vs PyTorch goldens in Node (Dawn)', 'npm run test:goldens'],
  ['default model vs PyTorch goldens in Node (wasm backend)', 'npm run test:goldens:wasm'],
  ['engine bad input in Node (Dawn)', 'npm run test:engine'],
  ['engine bad input in Node (wasm backend)', 'npm run test:engine:wasm'],
  ['CLI refuses corrupt models in Node (Dawn)', 'npm run test:cli-corrupt'],
  ['converted VAR vs PyTorch reference in Node (Dawn)', 'npm run test:var'],
  ['converted VAR vs PyTorch reference in Node (wasm backend)', 'npm run test:var:wasm'],
  ['Infinity from .pth vs PyTorch reference in Node (Dawn)', 'npm run test:infinity'],
  ['Infinity from .pth vs PyTorch reference in Node (wasm backend)', 'npm run test:infinity:wasm'],
  ['T5 encoder vs PyTorch reference in Node (wasm backend)', 'npm run test:t5:wasm'],
  ['ONNX decoder graph on the wasm EP vs PyTorch (Node)', 'npm run test:wasm'],
  ['python tools', 'npm run test:py'],
];

const counters = [
  // [regex, which count]
  [/^# pass (\d+)/m, 'pass'],
  [/^# fail (\d+)/m, 'fail'],
  [/^\s*(\d+) passed \(/m, 'pass'], // Playwright
  [/^\s*(\d+) failed$/m, 'fail'], // Playwright
  [/^(\d+) passed, (\d+) failed$/m, 'both'], // our Node kernel runner
  [/^Ran (\d+) tests? in/m, 'ran'], // unittest
  [/^# skipped (\d+)/m, 'skip'], // node:test
  [/^\s*(\d+) skipped$/m, 'skip'], // Playwright
  [/^(?:OK|FAILED) \(.*skipped=(\d+)/m, 'skip'], // unittest
  [/^FAILED \((?:failures|errors)=(\d+)(?:, (?:errors|failures)=(\d+))?/m, 'fail2'],
];

let passed = 0;
let failed = 0;
let skipped = 0;
let firstFailure = null;
const times = [];
for (const [name, cmd] of stages) {
  console.log(`\n=== ${name}: ${cmd}`);
  const t0 = Date.now();
  const out = await new Promise((resolve) => {
    let text = '';
    const p = spawn(cmd, { shell: true, stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.on('data', (d) => (process.stdout.write(d), (text += d)));
    p.stderr.on('data', (d) => (process.stderr.write(d), (text += d)));
    p.on('close', (code) => resolve({ code, text }));
  });
  let p = 0, f = 0, sk = 0, ran = -1;
  for (const [re, kind] of counters) {
    const m = re.exec(out.text);
    if (!m) continue;
    if (kind === 'pass') p += Number(m[1]);
    else if (kind === 'fail') f += Number(m[1]);
    else if (kind === 'both') (p += Number(m[1])), (f += Number(m[2]));
    else if (kind === 'ran') ran = Number(m[1]);
    else if (kind === 'skip') sk += Number(m[1]);
    else if (kind === 'fail2') f += Number(m[1]) + Number(m[2] ?? 0);
  }
  if (ran >= 0) p += ran - f - sk; // unittest counts skipped tests among those it ran
  if (out.code !== 0 && f === 0) f = 1; // a stage that failed without a count (typecheck, crash)
  if (out.code === 0 && name === 'typecheck') p += 1;
  passed += p;
  failed += f;
  skipped += sk;
  if (sk && !firstFailure) firstFailure = `${name} (skipped tests)`;
  times.push(`${name} ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  if (out.code !== 0 && !firstFailure) firstFailure = name;
}
console.log(`\nstage times: ${times.join('; ')}`);
console.log(`\n${firstFailure ? `first failing stage: ${firstFailure}\n` : ''}${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed || skipped ? 1 : 0);
