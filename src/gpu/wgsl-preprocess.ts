/**
 * A tiny preprocessor for WGSL sources: `#include "lib/name.wgsl"` (the WGSL shared by several
 * shaders, from shaders/lib/), `#if NAME`, `#if !NAME`, `#elif NAME`, `#else`, `#endif` on their own
 * lines, and `{{NAME}}` substitution. Includes are expanded first, so an included file may use
 * `#if` and `{{NAME}}` too. Defines hold compile-time facts only (dtype, vector width, flags, tile
 * sizes), never shapes: shapes travel in uniforms.
 */
export type Defines = Readonly<Record<string, string | number | boolean>>;

function truthy(defines: Defines, expr: string): boolean {
  const neg = expr.startsWith('!');
  const name = neg ? expr.slice(1).trim() : expr;
  const v = defines[name];
  const on = v !== undefined && v !== false && v !== 0 && v !== '0' && v !== '';
  return neg ? !on : on;
}

/** Expand `#include "path.wgsl"` lines from `sources` (keyed by path without .wgsl), each file once per shader. */
export function expandIncludes(source: string, sources: Readonly<Record<string, string>>, seen = new Set<string>()): string {
  return source.replace(/^[ \t]*#include\s+"([^"]+)\.wgsl"[ \t]*$/gm, (_, name: string) => {
    const text = sources[name];
    if (text === undefined) throw new Error(`wgsl: #include "${name}.wgsl" is not in shaders/ (was gen:shaders run?)`);
    if (seen.has(name)) return `// (${name}.wgsl already included)`;
    seen.add(name);
    return expandIncludes(text, sources, seen);
  });
}

export function preprocessWgsl(source: string, defines: Defines, sources?: Readonly<Record<string, string>>): string {
  if (sources) source = expandIncludes(source, sources);
  else if (/^[ \t]*#include\b/m.test(source)) throw new Error('wgsl: #include needs the shader sources');
  const out: string[] = [];
  // Each frame: [anyBranchTaken, currentBranchActive, parentActive]
  const stack: Array<[boolean, boolean, boolean]> = [];
  const active = () => (stack.length === 0 ? true : stack[stack.length - 1][1]);
  for (const line of source.split('\n')) {
    const t = line.trim();
    const m = /^#(if|elif|else|endif)\b\s*(.*)$/.exec(t);
    if (m) {
      const [, dir, expr] = m;
      if (dir === 'if') {
        const parent = active();
        const on = parent && truthy(defines, expr.trim());
        stack.push([on, on, parent]);
      } else if (dir === 'elif') {
        const f = stack[stack.length - 1];
        if (!f) throw new Error('wgsl: #elif without #if');
        const on = f[2] && !f[0] && truthy(defines, expr.trim());
        f[1] = on;
        f[0] = f[0] || on;
      } else if (dir === 'else') {
        const f = stack[stack.length - 1];
        if (!f) throw new Error('wgsl: #else without #if');
        f[1] = f[2] && !f[0];
        f[0] = true;
      } else {
        if (!stack.pop()) throw new Error('wgsl: #endif without #if');
      }
      continue;
    }
    if (active()) out.push(line);
  }
  if (stack.length) throw new Error('wgsl: unterminated #if');
  return out.join('\n').replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    if (!(name in defines)) throw new Error(`wgsl: {{${name}}} is not defined`);
    return String(defines[name]);
  });
}

/** A printable, stable key for a set of defines: "A=1,B=f16". */
export function definesKey(defines: Defines): string {
  return Object.keys(defines)
    .sort()
    .map((k) => `${k}=${defines[k]}`)
    .join(',');
}
