/**
 * No import cycle in the server, the device kinds, the simulators or the dashboard (issue 16). Type-only imports count
 * too: a cycle through types still ties modules together (a module and the routes that need its services), and
 * TypeScript's `isolatedModules` does not make it go away in the reader's head.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TREES = ['services', 'devices', 'simulators', 'dashboard/src'];

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Relative specifiers a file imports or re-exports (static, side-effect and `import()` with a literal). */
function specifiers(text: string): string[] {
  return [
    ...text.matchAll(/^\s*(?:import|export)\s[^'";]*?\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]/gm),
    ...text.matchAll(/^\s*import\s+['"](\.{1,2}\/[^'"]+)['"]/gm),
    ...text.matchAll(/\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
}

/** Those specifiers resolved to files that exist. */
function importsOf(file: string, text: string): string[] {
  const found: string[] = [];
  for (const spec of specifiers(text)) {
    const target = path.resolve(path.dirname(file), spec);
    for (const candidate of [target, `${target}.ts`, path.join(target, 'index.ts')]) {
      try {
        if (statSync(candidate).isFile()) {
          found.push(candidate);
          break;
        }
      } catch {
        // not this one
      }
    }
  }
  return found;
}

/** Strongly connected components with more than one file (Tarjan), or a file importing itself. */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('import graph', () => {
  it('finds a cycle when there is one (the checker itself)', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(cycles(g).map((c) => c.sort())).toEqual([['a', 'b', 'c']]);
    const text =
      "import type { X } from './b.ts';\nimport {\n  p,\n  q,\n} from '../p/q.ts';\nexport { y } from '../c';\nimport './side.ts';\nimport fs from 'node:fs';\nconst m = await import('./d.ts');";
    expect(specifiers(text).sort()).toEqual(['../c', '../p/q.ts', './b.ts', './d.ts', './side.ts']);
  });

  it('has no cycle in services/, devices/, simulators/ and the dashboard, type-only imports included', () => {
    const graph = new Map<string, string[]>();
    for (const tree of TREES) for (const f of sources(path.join(ROOT, tree))) graph.set(f, importsOf(f, readFileSync(f, 'utf8')));
    expect(graph.size).toBeGreaterThan(200);
    const found = cycles(graph).map((c) => c.map((f) => path.relative(ROOT, f)).join(' → '));
    expect(found).toEqual([]);
  });
});
