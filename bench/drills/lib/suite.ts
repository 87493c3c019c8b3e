/**
 * A drill suite is a folder of `*.drill.ts` files, each exporting `drills: Drill[]`; `npm run drill:<suite>` runs every
 * one (or those whose names contain `--only` values), prints "N passed, M failed", records the table in BENCHMARKS.md
 * with `--record`, and exits 1 when any failed. Files are found at run time, so two engineers adding drills to one suite
 * never edit the same file.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeSection } from '../../lib/report.ts';
import { reportTable, runDrills, type Drill } from './drill.ts';

export async function runSuite(opts: { title: string; dir: string; heading: string; intro: string }): Promise<void> {
  const args = process.argv.slice(2);
  const only: string[] = [];
  for (let i = 0; i < args.length; i++) if (args[i] === '--only' && args[i + 1]) only.push(args[++i]!);
  const files = readdirSync(opts.dir)
    .filter((f) => f.endsWith('.drill.ts'))
    .sort();
  const drills: Drill[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(path.join(opts.dir, f)).href)) as { drills?: Drill[] };
    if (!Array.isArray(mod.drills)) throw new Error(`${f} exports no 'drills' array`);
    drills.push(...mod.drills);
  }
  const report = await runDrills(opts.title, drills, { only });
  if (args.includes('--record')) writeSection(opts.heading, `${opts.intro}\n\n${reportTable(report)}`);
  process.exit(report.failed > 0 || report.results.length === 0 ? 1 : 0);
}
