/**
 * The drill runner shared by `npm run drill:faults` and `npm run drill:security`: each drill is a named, bounded check
 * against the real service (real broker over TCP, real database, loopback only) that returns pass/fail with the counts it
 * measured. The runner prints one block per drill, then "N passed, M failed", and exits 1 when any drill failed.
 */
import { machineLine } from '../../lib/report.ts';

export type Counts = Record<string, number | string>;

export interface DrillOutcome {
  passed: boolean;
  /** One line a reader can act on: what held, or what broke. */
  detail: string;
  /** What the drill measured (sent, acked, stored, lost, duplicated, p99 ack latency ms, …). */
  counts?: Counts;
}

export interface Drill {
  name: string;
  /** Upper bound on the drill's run time; the runner fails it (and moves on) past this. */
  timeoutMs: number;
  run(): Promise<DrillOutcome>;
}

export interface DrillReport {
  title: string;
  machine: string;
  results: (DrillOutcome & { name: string; ms: number })[];
  passed: number;
  failed: number;
}

/** Runs drills one after another (they measure loss and latency, so they must not share the machine with each other). */
export async function runDrills(title: string, drills: Drill[], opts: { only?: string[] } = {}): Promise<DrillReport> {
  const chosen = opts.only?.length ? drills.filter((d) => opts.only!.some((o) => d.name.includes(o))) : drills;
  const machine = machineLine();
  console.log(`${title}\n${machine}\n`);
  const results: DrillReport['results'] = [];
  for (const d of chosen) {
    const t0 = Date.now();
    let out: DrillOutcome;
    let timer: NodeJS.Timeout | undefined;
    try {
      out = await Promise.race([
        d.run(),
        new Promise<DrillOutcome>((resolve) => {
          timer = setTimeout(() => resolve({ passed: false, detail: `did not finish within ${d.timeoutMs} ms` }), d.timeoutMs);
        }),
      ]);
    } catch (err) {
      out = { passed: false, detail: `crashed: ${(err as Error).stack ?? String(err)}` };
    } finally {
      clearTimeout(timer);
    }
    const ms = Date.now() - t0;
    results.push({ name: d.name, ms, ...out });
    const counts = out.counts
      ? Object.entries(out.counts)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')
      : '';
    console.log(`${out.passed ? 'PASS' : 'FAIL'}  ${d.name}  (${(ms / 1000).toFixed(1)} s)\n      ${out.detail}${counts ? `\n      ${counts}` : ''}`);
  }
  const passed = results.filter((r) => r.passed).length;
  const failed = results.length - passed;
  console.log(`\n${passed} passed, ${failed} failed`);
  return { title, machine, results, passed, failed };
}

/** A markdown table of a report, for BENCHMARKS.md. */
export function reportTable(r: DrillReport): string {
  const keys = [...new Set(r.results.flatMap((x) => Object.keys(x.counts ?? {})))];
  const head = `| drill | result | ${keys.join(' | ')} | detail |\n|---|---|${keys.map(() => '---|').join('')}---|`;
  const rows = r.results.map(
    (x) =>
      `| ${x.name} | ${x.passed ? 'pass' : 'FAIL'} | ${keys.map((k) => String(x.counts?.[k] ?? '')).join(' | ')} | ${x.detail.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`,
  );
  return `${head}\n${rows.join('\n')}\n\n${r.passed} passed, ${r.failed} failed. Machine: ${r.machine}`;
}

/** p-th percentile (0..100) of a list of numbers; NaN when empty. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
