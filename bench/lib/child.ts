/**
 * Benchmark processes: each part (broker under test, load clients) runs in its own Node process, so the client's CPU
 * never hides the broker's cost. TypeScript children run through tsx's loader; requests and replies go over IPC.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

export interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

export class Child {
  readonly proc: ChildProcess;
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly exited: Promise<number | null>;

  constructor(file: string, opts: { args?: string[]; env?: Record<string, string>; execArgv?: string[] } = {}) {
    this.proc = fork(file, opts.args ?? [], {
      execArgv: ['--import', 'tsx', ...(opts.execArgv ?? [])],
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.proc.on('message', (m: Reply) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.ok) w.resolve(m.value);
      else w.reject(new Error(m.error ?? 'child failed'));
    });
    this.exited = new Promise((resolve) =>
      this.proc.once('exit', (code) => {
        for (const w of this.waiting.values()) w.reject(new Error(`${file} exited (${code ?? 'signal'}) before answering`));
        this.waiting.clear();
        resolve(code);
      }),
    );
  }

  get pid(): number {
    return this.proc.pid ?? 0;
  }

  call<T>(type: string, body: Record<string, unknown> = {}): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.send({ id, type, ...body });
    });
  }

  /** Asks the child to exit; kills it if it has not within the grace period. */
  async close(graceMs = 30_000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.call('exit').catch(() => undefined);
    const t = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }
}

type Handler = (msg: Record<string, unknown>) => Promise<unknown>;

/** The child side: answers requests by type; 'exit' runs the optional cleanup, answers, then exits. */
export function serve(handlers: Record<string, Handler>, onExit?: () => Promise<void>): void {
  process.on('message', (m: { id: number; type: string } & Record<string, unknown>) => {
    const reply = (r: Omit<Reply, 'id'>): void => void process.send?.({ id: m.id, ...r });
    if (m.type === 'exit') {
      void (onExit ?? (async () => undefined))()
        .catch((err: Error) => console.error(`cleanup failed: ${err.message}`))
        .finally(() => {
          reply({ ok: true });
          setTimeout(() => process.exit(0), 50);
        });
      return;
    }
    const h = handlers[m.type];
    if (!h) return reply({ ok: false, error: `unknown request '${m.type}'` });
    h(m).then(
      (value) => reply({ ok: true, value }),
      (err: Error) => reply({ ok: false, error: err.message }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}
