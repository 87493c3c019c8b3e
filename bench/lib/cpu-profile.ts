/**
 * Where the time goes in a `node --cpu-prof` profile: self time per function and per package/module, so a missed
 * benchmark target comes with a note on what to make faster.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

export interface ProfileSummary {
  totalMs: number;
  functions: { name: string; where: string; selfPct: number }[];
  modules: { module: string; selfPct: number }[];
}

/** node_modules/<pkg>, a project folder (services/ingest), node's internals, or V8's pseudo-frames. */
export function moduleOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1] ?? url;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0] === 'internal' ? url.slice(5).split('/').slice(0, 2).join('/') : url.slice(5)}`;
  const own = /\/(services|simulators|devices|bench)\/([^/]+)/.exec(url);
  return own ? `${own[1]}/${own[2]}` : url.split('/').slice(-2).join('/');
}

export function summariseProfile(file: string, top = 15): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const hits = new Map<number, number>();
  if (p.samples) for (const s of p.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
  const total = p.samples?.length ?? p.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0);
  const byFn = new Map<string, { name: string; where: string; n: number }>();
  const byModule = new Map<string, number>();
  for (const node of p.nodes) {
    const n = hits.get(node.id) ?? node.hitCount ?? 0;
    if (n === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    // Line numbers of TypeScript files refer to tsx's transpiled output, not the source: leave them out.
    const file = url.replace(/^file:\/\/.*?\/(node_modules|services|simulators|bench)\//, '$1/');
    const where = url ? (url.endsWith('.ts') ? file : `${file}:${lineNumber + 1}`) : '';
    const key = `${name}@${where}`;
    const f = byFn.get(key) ?? { name, where, n: 0 };
    f.n += n;
    byFn.set(key, f);
    const m = moduleOf(url, name);
    byModule.set(m, (byModule.get(m) ?? 0) + n);
  }
  const pct = (n: number): number => Math.round((1000 * n) / Math.max(1, total)) / 10;
  return {
    totalMs: (p.endTime - p.startTime) / 1000,
    functions: [...byFn.values()]
      .sort((a, b) => b.n - a.n)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, selfPct: pct(f.n) })),
    modules: [...byModule.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([module, n]) => ({ module, selfPct: pct(n) })),
  };
}
