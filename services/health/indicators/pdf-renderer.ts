import { existsSync } from 'node:fs';
import { AppError } from '../../common/errors.ts';

export interface PdfOptions {
  /** Debian's Chromium by default; playwright-core drives it (no browser download). */
  chromiumPath: string;
  timeoutMs: number;
}

// Flags for a server without a display or a sandbox-capable kernel; nothing may phone home.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

/**
 * HTML → PDF in headless Chromium. The report is self-contained (inline CSS and SVG, system fonts with Vietnamese
 * glyphs), so the page loads nothing; requests are refused to be sure. One rendering at a time: a Chromium costs
 * ~150 MB and a core for a second, and the machine is shared with the broker.
 */
export class PdfRenderer {
  private readonly o: PdfOptions;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(o: PdfOptions) {
    this.o = o;
  }

  get available(): boolean {
    return existsSync(this.o.chromiumPath);
  }

  render(html: string): Promise<Buffer> {
    const run = this.queue.then(
      () => this.renderNow(html),
      () => this.renderNow(html),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async renderNow(html: string): Promise<Buffer> {
    if (!this.available)
      throw new AppError(
        'PDF_UNAVAILABLE',
        503,
        `PDF rendering needs Chromium at ${this.o.chromiumPath} (Debian package 'chromium'); the HTML report works without it`,
      );
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: this.o.chromiumPath, args: ARGS, timeout: this.o.timeoutMs });
    try {
      const page = await browser.newPage();
      await page.route('**/*', (route) => (route.request().url().startsWith('data:') ? route.continue() : route.abort()));
      await page.setContent(html, { waitUntil: 'load', timeout: this.o.timeoutMs });
      // The page size, margins and page numbers come from the document's own @page rules (official-layout.ts).
      return await page.pdf({ preferCSSPageSize: true, printBackground: true });
    } finally {
      await browser.close();
    }
  }
}
