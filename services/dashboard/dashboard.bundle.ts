import { readFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

export interface DashboardBundle {
  js: string;
  css: string;
}

/** Bundles dashboard/src in memory (≈100 ms): no build step for whoever runs the service, and no files written. */
export async function buildDashboard(root: string): Promise<DashboardBundle> {
  const r = await build({
    entryPoints: [path.join(root, 'dashboard/src/main.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    logLevel: 'silent',
  });
  const js = r.outputFiles[0]?.text ?? '';
  const leafletCss = readFileSync(path.join(root, 'node_modules/leaflet/dist/leaflet.css'), 'utf8');
  const ours = readFileSync(path.join(root, 'dashboard/src/styles.css'), 'utf8');
  return { js, css: `${leafletCss}\n${ours}` };
}
