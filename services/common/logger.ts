import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Root logger. Modules take a child with `{ module: 'name' }` so every line says where it came from. */
export function createLogger(opts: { level?: string; pretty?: boolean; destination?: { write(line: string): void } } = {}): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? 'info',
    base: { service: 'smartward' },
    redact: { paths: ['password', '*.password', 'secret', '*.secret', 'token', '*.token', 'req.headers.authorization'], remove: false },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** A logger that writes nothing: for unit tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
