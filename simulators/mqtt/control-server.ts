/**
 * Runtime control of a fleet run: a tiny JSON HTTP endpoint bound to 127.0.0.1 only (it has no authentication, so it
 * must never listen on a routable address).
 *   GET  /status                         progress snapshot
 *   POST /faults {"fault": "lamp-failure", "amount": "2%"}     inject (amount: count, "5%" or 0.05)
 *   POST /faults {"fault": "lamp-failure", "clear": true}      clear
 *   POST /stop                           stop the run (summary printed, process exits)
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isFleetFault, parseAmount, FLEET_FAULTS } from './faults.ts';
import type { FleetRun } from './fleet-run.ts';

export interface ControlServer {
  url: string;
  close(): Promise<void>;
}

const MAX_BODY = 4096;

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) reject(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text ? JSON.parse(text) : {});
      } catch {
        reject(new Error('body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

async function handleFaults(run: FleetRun, body: unknown): Promise<[number, unknown]> {
  const b = (typeof body === 'object' && body !== null ? body : {}) as { fault?: unknown; amount?: unknown; clear?: unknown };
  if (typeof b.fault !== 'string' || !isFleetFault(b.fault))
    return [400, { code: 'UNKNOWN_FAULT', message: `fault must be one of ${FLEET_FAULTS.join(', ')}` }];
  if (b.clear === true) return [200, { fault: b.fault, cleared: await run.clear(b.fault) }];
  if (typeof b.amount !== 'string' && typeof b.amount !== 'number') return [400, { code: 'MISSING_AMOUNT', message: 'amount: a count (10), "5%" or 0.05' }];
  let amount;
  try {
    amount = parseAmount(String(b.amount));
  } catch (err) {
    return [400, { code: 'BAD_AMOUNT', message: (err as Error).message }];
  }
  return [200, await run.inject(b.fault, amount)];
}

export async function startControlServer(run: FleetRun, port: number, onStop: () => void): Promise<ControlServer> {
  const server: Server = createServer((req, res) => {
    const route = `${req.method ?? ''} ${(req.url ?? '').split('?')[0] ?? ''}`;
    const reply = async (): Promise<void> => {
      if (route === 'GET /status') return send(res, 200, run.snapshot());
      if (route === 'POST /faults') {
        const [status, body] = await handleFaults(run, await readBody(req));
        return send(res, status, body);
      }
      if (route === 'POST /stop') {
        send(res, 202, { stopping: true });
        onStop();
        return;
      }
      send(res, 404, { code: 'NOT_FOUND', message: 'GET /status, POST /faults, POST /stop' });
    };
    reply().catch((err: Error) => send(res, 400, { code: 'BAD_REQUEST', message: err.message }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${addr.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
