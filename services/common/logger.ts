import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Root logger. Modules take a child with `{ module: 'name' }` so every line says where it came from. */
export function createLogger(opts: { level?: string; pretty?: boolean; destination?: pino.DestinationStream } = {}): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? 'info',
    base: { service: 'smartward' },
    // Errors go under `err` as objects: pino's standard serializer writes their type, message and stack.
    serializers: { err: pino.stdSerializers.err },
    redact: {
      paths: [
        'password',
        '*.password',
        'secret',
        '*.secret',
        'token',
        '*.token',
        'passwordHash',
        '*.passwordHash',
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
      ],
      censor: '[redacted]',
    },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** A logger that writes nothing: for unit tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
