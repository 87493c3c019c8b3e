/**
 * Issue 16: the published OpenAPI document declares what every operation answers. Each operation has at least one 2xx
 * response (a WebSocket route: 101), and every 2xx response other than a 204 carries a non-empty schema for each of its
 * media types; the route table agrees (routes hidden from the document declare their answers too).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

interface Operation {
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Record<string, unknown> }> }>;
}

const emptySchema = (s: Record<string, unknown> | undefined): boolean => !s || Object.keys(s).filter((k) => k !== 'description' && k !== 'title').length === 0;

describe('OpenAPI: a response schema for every 2xx of every operation', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it("declares every operation's successful answers", async () => {
    const res = await t.app.api.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = JSON.parse(res.body) as { paths: Record<string, Record<string, Operation>> };
    const problems: string[] = [];
    let operations = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        operations++;
        const where = `${method.toUpperCase()} ${path}`;
        const ok = Object.entries(op.responses ?? {}).filter(([code]) => /^2\d\d$|^2XX$/i.test(code));
        // A WebSocket route succeeds with 101 Switching Protocols, which carries no body to describe.
        if (ok.length === 0 && op.responses?.['101']) continue;
        if (ok.length === 0) {
          problems.push(`${where}: no 2xx response (${Object.keys(op.responses ?? {}).join(', ') || 'none'})`);
          continue;
        }
        for (const [code, r] of ok) {
          if (code === '204') continue;
          const content = Object.entries(r.content ?? {});
          if (content.length === 0) problems.push(`${where} ${code}: no content`);
          for (const [type, c] of content) if (emptySchema(c.schema)) problems.push(`${where} ${code} ${type}: empty schema`);
        }
      }
    }
    console.info(`[api-openapi] ${operations} operations, ${problems.length} without a 2xx response schema`);
    expect(operations).toBeGreaterThanOrEqual(100);
    expect(problems, problems.join('\n')).toEqual([]);
  });

  it('declares a 2xx answer on every route of the route table, hidden ones included', () => {
    const missing = t.app.routes
      .filter((r) => r.method !== 'HEAD' && r.url !== '/' && !r.url.startsWith('/docs'))
      .filter((r) => !Object.keys((r.schema as { response?: Record<string, unknown> } | undefined)?.response ?? {}).some((c) => /^2(\d\d|xx)$|^101$/.test(c)))
      .map((r) => `${r.method} ${r.url}`);
    expect(missing, missing.join('\n')).toEqual([]);
  });
});
