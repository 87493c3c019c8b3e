/**
 * What every benchmark of issue 3 prints and records: the machine it ran on, and its own section of BENCHMARKS.md
 * (other engineers own other sections; only the section with this heading is replaced).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** nproc, CPU model (from /proc/cpuinfo), memory, Node version, OS, date, and how busy the machine was. */
export function machineLine(): string {
  let cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    // not Linux: keep os.cpus()
  }
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return (
    `${os.availableParallelism()} CPUs (nproc), ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, ` +
    `${os.type()} ${os.release()}; ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; load average at the start ${load} ` +
    '(the machine is shared with other engineers running tests)'
  );
}

/** Replaces (or appends) the section starting with `heading` ("## Ingest") in BENCHMARKS.md. */
export function writeSection(heading: string, body: string): void {
  const file = path.join(ROOT, 'BENCHMARKS.md');
  let doc = existsSync(file) ? readFileSync(file, 'utf8') : "# Benchmarks\n\nMeasured on this project's machines; each section says how to reproduce it.\n";
  const text = `${heading}\n\n${body.trim()}\n`;
  const at = doc.indexOf(`${heading}\n`);
  if (at >= 0) {
    const next = doc.indexOf('\n## ', at + heading.length);
    doc = doc.slice(0, at) + text + (next >= 0 ? doc.slice(next) : '');
  } else {
    doc = `${doc.trimEnd()}\n\n${text}`;
  }
  writeFileSync(file, doc.endsWith('\n') ? doc : `${doc}\n`);
}

/** Peak resident set size of a process (VmHWM), in bytes; 0 when /proc is not there. */
export function peakRss(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Current resident set size of a process (VmRSS), in bytes. */
export function currentRss(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

export function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** CPU seconds used so far by every PostgreSQL server process on this machine (all databases: others' included). */
export function postgresCpuSeconds(): number {
  const tick = 100; // USER_HZ on Linux
  let total = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      if (!stat.slice(stat.indexOf('(') + 1, close).startsWith('postgres')) continue;
      const f = stat.slice(close + 2).split(' ');
      total += (Number(f[11]) + Number(f[12])) / tick;
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}
