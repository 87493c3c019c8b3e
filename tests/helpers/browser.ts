import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM = process.env.SW_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../.artifacts');

/** Why the browser tests cannot run here, or null when Debian's Chromium is present. */
export function browserMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
}

export async function launch(extraArgs: string[] = []): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  mkdirSync(ARTIFACTS, { recursive: true });
  // Flags from this machine's notes: without the background-networking ones Chromium tries to reach Google's hosts.
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}

export const shot = (name: string): string => path.join(ARTIFACTS, `${name}.png`);

/**
 * The few browser globals the e2e tests touch inside `page.evaluate`. The root tsconfig has no DOM lib (the server code
 * must not see browser types), so tests cast `globalThis` to this narrow view (a helper function would not survive serialisation into the page).
 */
export interface PageGlobals {
  document: { querySelector(selector: string): { textContent: string | null } | null };
  sessionStorage: { getItem(key: string): string | null };
}

/**
 * Waits until `predicate` is truthy in the page, polling `page.evaluate` every `interval` ms.
 *
 * Playwright's own `page.waitForFunction` runs its predicate through `eval` inside the page — even when given a function —
 * so the dashboard's Content-Security-Policy (`script-src 'self'`, no 'unsafe-eval') refuses it. `page.evaluate` goes through
 * the DevTools protocol, which the page's CSP does not govern, so polling with it tests the page under its real policy.
 * A string predicate is an expression evaluated in the page (the root tsconfig has no DOM types).
 */
export async function waitInPage<A>(
  page: Page,
  predicate: string | ((arg: A) => unknown),
  arg?: A,
  opts: { timeout?: number; interval?: number } = {},
): Promise<void> {
  const timeout = opts.timeout ?? 30_000;
  const interval = opts.interval ?? 100;
  const deadline = Date.now() + timeout;
  let last: unknown = null;
  for (;;) {
    try {
      const ok = typeof predicate === 'string' ? await page.evaluate(predicate) : await page.evaluate(predicate as (a: unknown) => unknown, arg as unknown);
      if (ok) return;
      last = ok;
    } catch (err) {
      // A navigation in progress destroys the execution context: try again on the next tick.
      const msg = err instanceof Error ? err.message : String(err);
      if (!/Execution context was destroyed|navigat|Cannot find context/i.test(msg)) throw err;
      last = msg;
    }
    if (Date.now() > deadline) {
      const what = typeof predicate === 'string' ? predicate : predicate.toString();
      throw new Error(`waitInPage: not true within ${timeout} ms (last value ${JSON.stringify(last)}): ${what.slice(0, 300)}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}
