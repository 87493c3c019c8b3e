import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';

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
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs],
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
