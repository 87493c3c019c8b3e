/**
 * Enough of the Dockerfile and .dockerignore formats to replay an image's recipe without a container engine
 * (tests/integration/image-recipe.test.ts): stages with their instructions in order, exec-form commands, ENV pairs,
 * HEALTHCHECK options, and the ignore patterns the build context is filtered by.
 */
export interface Instruction {
  op: string;
  /** The rest of the line, ARG values substituted. */
  args: string;
}

export interface Stage {
  name: string;
  base: string;
  steps: Instruction[];
}

function substitute(s: string, args: Record<string, string>): string {
  return s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (m, a?: string, b?: string) => args[a ?? b ?? ''] ?? m);
}

export function parseDockerfile(text: string): Stage[] {
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const m = /^([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`cannot read Dockerfile line: ${line}`);
    const op = m[1]!.toUpperCase();
    const rest = substitute(m[2]!, args);
    if (op === 'ARG' && stages.length === 0) {
      const [k, v = ''] = rest.split('=');
      args[k!.trim()] = v.trim();
      continue;
    }
    if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      stages.push({ base: f?.[1] ?? rest, name: f?.[2] ?? String(stages.length), steps: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`${op} before FROM`);
    stage.steps.push({ op, args: rest });
  }
  return stages;
}

/** Exec form (`["a", "b"]`) as an argument list; shell form becomes `/bin/sh -c …`, as Docker runs it. */
export function commandOf(args: string): string[] {
  const t = args.trim();
  if (t.startsWith('[')) return JSON.parse(t) as string[];
  return ['/bin/sh', '-c', t];
}

/** `ENV A=1 B="two words"` → pairs (the legacy `ENV A 1` form too). */
export function envPairs(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!args.includes('=')) {
    const [k, ...v] = args.split(/\s+/);
    out[k!] = v.join(' ');
    return out;
  }
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g)) {
    const v = m[2]!;
    out[m[1]!] = v.startsWith('"') ? (JSON.parse(v) as string) : v.startsWith("'") ? v.slice(1, -1) : v;
  }
  return out;
}

/** `HEALTHCHECK --interval=15s … CMD [...]` → options in ms and the command. */
export function healthcheckOf(args: string): { cmd: string[]; intervalMs: number; timeoutMs: number; startPeriodMs: number; retries: number } {
  const at = args.indexOf('CMD');
  const opts = Object.fromEntries([...args.slice(0, at).matchAll(/--([a-z-]+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
  const ms = (v: string | undefined, dflt: number): number => {
    if (!v) return dflt;
    const m = /^(\d+)(ms|s|m)$/.exec(v);
    if (!m) throw new Error(`HEALTHCHECK duration '${v}'`);
    return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
  };
  return {
    cmd: commandOf(args.slice(at + 3)),
    intervalMs: ms(opts.interval, 30_000),
    timeoutMs: ms(opts.timeout, 30_000),
    startPeriodMs: ms(opts['start-period'], 0),
    retries: Number(opts.retries ?? 3),
  };
}

/**
 * A .dockerignore as a predicate on context-relative paths: patterns match from the context root (`*` within a path
 * segment, `**` across segments), a matching folder excludes what it holds, `!pattern` re-includes; last match wins.
 */
export function dockerignore(text: string): (rel: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const p = (negate ? l.slice(1) : l).replace(/^\/+|\/+$/g, '');
      const re = p
        .split('/')
        .map((seg) =>
          seg === '**'
            ? '.*'
            : seg
                .replace(/[.+^$()|{}[\]\\]/g, '\\$&')
                .replace(/\*/g, '[^/]*')
                .replace(/\?/g, '[^/]'),
        )
        .join('/');
      return { negate, re: new RegExp(`^${re}(/.*)?$`) };
    });
  return (rel) => {
    let ignored = false;
    for (const r of rules) if (r.re.test(rel)) ignored = !r.negate;
    return ignored;
  };
}
