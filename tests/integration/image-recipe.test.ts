/**
 * The image's recipe, proven on a machine without a container engine (no Docker daemon here; podman and buildah are
 * not installed, and neither could pull the node base image: only the npm and Debian registries are reachable).
 * The Dockerfile is parsed, not restated: its stages are replayed in a scratch folder — the build stage's RUN (npm ci)
 * as written, its COPY steps with .dockerignore applied — then the runtime stage runs in a chroot built in a private
 * mount namespace: this machine's Debian 12 /usr and /etc read-only (the image's base is Debian 12 too), the tree
 * read-only at the image's WORKDIR, the VOLUME writable, /tmp a tmpfs, as the Dockerfile's USER (uid 1000), with its ENV,
 * ENTRYPOINT and CMD. Its HEALTHCHECK command must pass, the service must render a PDF report with the Noto fonts, and
 * `npm run backup` must work inside it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/drills/lib/service.ts';
import { commandOf, dockerignore, envPairs, healthcheckOf, parseDockerfile, type Stage } from '../helpers/dockerfile.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const stages = parseDockerfile(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
const runtime = stages.at(-1)!;
const stepsOf = (s: Stage, op: string): string[] => s.steps.filter((x) => x.op === op).map((x) => x.args);
const last = (s: Stage, op: string): string => stepsOf(s, op).at(-1) ?? '';
const runtimeEnv = Object.assign({}, ...stepsOf(runtime, 'ENV').map(envPairs)) as Record<string, string>;
const aptPackages = stepsOf(runtime, 'RUN').flatMap(
  (r) =>
    /apt-get install ([^&]+)/
      .exec(r)?.[1]
      ?.split(/\s+/)
      .filter((w) => w && !w.startsWith('-')) ?? [],
);
const ADMIN_PASSWORD = 'image-recipe-admin-9';

describe('Dockerfile', () => {
  it('is multi-stage: npm ci at build time, runtime as a non-root user with Chromium, Noto fonts, pg client, HEALTHCHECK, volume', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages.flatMap((s) => stepsOf(s, 'RUN')).some((r) => /^npm ci\b.*--omit=dev/.test(r))).toBe(true);
    expect(last(runtime, 'USER')).not.toMatch(/^(root|0)?$/);
    for (const p of ['chromium', 'fonts-noto-core', 'postgresql-client']) expect(aptPackages, p).toContain(p);
    expect(healthcheckOf(last(runtime, 'HEALTHCHECK')).cmd).toEqual(['node', 'deploy/healthcheck.mjs']);
    expect(readFileSync(path.join(ROOT, 'deploy/healthcheck.mjs'), 'utf8')).toContain("'/ready'");
    expect(commandOf(last(runtime, 'VOLUME'))).toContain(runtimeEnv.SW_DATA_DIR);
    expect(runtimeEnv.SW_REPORT_CHROMIUM_PATH).toBe('/usr/bin/chromium');
  });

  it('installs only Debian 12 packages (each is installed on this Debian 12 machine, or at least known to apt)', () => {
    for (const p of aptPackages) {
      const installed = spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).stdout.includes('install ok installed');
      const known = installed || /Candidate: (?!\(none\))/.test(spawnSync('apt-cache', ['policy', p], { encoding: 'utf8' }).stdout);
      if (!installed) console.warn(`[image-recipe] package '${p}' is not installed here${known ? ' (apt knows it)' : ''}`);
      expect(known, p).toBe(true);
    }
  });
});

/** Why the replay cannot run here, or null. */
function replayUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not root (a chroot in a private mount namespace needs it)';
  for (const tool of ['unshare', 'nsenter', 'chroot', 'setpriv', 'npm']) if (spawnSync('which', [tool]).status !== 0) return `${tool} is missing`;
  const probe = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs tmpfs /mnt'], { encoding: 'utf8' });
  if (probe.status !== 0) return `cannot mount in a private namespace: ${probe.stderr.trim()}`;
  for (const p of ['chromium', 'fonts-noto-core']) if (!spawnSync('dpkg-query', ['-W', p]).stdout.length) return `Debian package ${p} is not installed`;
  return null;
}

const scratch = mkdtempSync(path.join(os.tmpdir(), 'sw-image-'));
let service: ChildProcess | null = null;
afterAll(async () => {
  if (service?.pid && service.exitCode === null) {
    process.kill(-service.pid, 'SIGKILL');
    await new Promise((r) => service?.once('exit', r));
  }
  rmSync(scratch, { recursive: true, force: true });
});

/** Replays FROM/WORKDIR/COPY/RUN of a stage into `<scratch>/<stage>` (its "/"); RUN of the runtime stage is run later, in the chroot. */
function replayStage(stage: Stage, hostRun: boolean): { root: string; workdir: string; deferred: string[] } {
  const root = path.join(scratch, stage.name);
  const ignored = dockerignore(readFileSync(path.join(ROOT, '.dockerignore'), 'utf8'));
  let workdir = '/';
  const deferred: string[] = [];
  for (const step of stage.steps) {
    if (step.op === 'WORKDIR') {
      workdir = path.posix.resolve(workdir, step.args);
      mkdirSync(path.join(root, workdir), { recursive: true });
    } else if (step.op === 'COPY') {
      const words = step.args.split(/\s+/);
      const from = words.find((w) => w.startsWith('--from='))?.slice(7);
      const [dest, ...srcs] = words.filter((w) => !w.startsWith('--')).reverse();
      const to = path.join(root, path.posix.resolve(workdir, dest!));
      for (const src of srcs.reverse()) {
        if (from) {
          // A whole folder from an earlier stage: moved rather than copied (same file system, the earlier stage is done).
          renameSync(path.join(scratch, from, src), dest!.endsWith('/') || dest === '.' ? path.join(to, path.basename(src)) : to);
          continue;
        }
        const target = src === '.' ? to : dest!.endsWith('/') || srcs.length > 1 || dest === '.' || dest === './' ? path.join(to, path.basename(src)) : to;
        cpSync(path.join(ROOT, src), target, { recursive: true, filter: (p) => !ignored(path.relative(ROOT, p)) || p === ROOT });
      }
    } else if (step.op === 'RUN') {
      if (/^apt-get /.test(step.args)) continue; // packages: checked against this machine's Debian above
      if (!hostRun) {
        deferred.push(step.args);
        continue;
      }
      const r = spawnSync('/bin/sh', ['-c', step.args], {
        cwd: path.join(root, workdir),
        env: { ...process.env, npm_config_prefer_offline: 'true' },
        encoding: 'utf8',
        timeout: 480_000,
      });
      if (r.status !== 0) throw new Error(`RUN ${step.args} failed (${r.status}): ${r.stderr.slice(-2000)}`);
    }
  }
  return { root, workdir, deferred };
}

/** Shell that builds the chroot's mounts inside the private namespace (test scaffolding, not part of the recipe). */
function mountScript(root: string, workdir: string, readOnlyApp: boolean): string {
  const etc = path.join(scratch, 'etc');
  return [
    'set -e',
    `cd ${root}`,
    'for d in usr etc dev proc sys tmp; do mkdir -p $d; done',
    'for l in bin lib lib64 sbin; do [ -L $l ] || ln -s usr/$l $l; done',
    'mount --bind /usr usr && mount -o remount,bind,ro usr',
    'mount --bind /etc etc && mount -o remount,bind,ro etc',
    `mount --bind ${etc}/passwd etc/passwd && mount --bind ${etc}/group etc/group`,
    'mount --rbind /dev dev && mount -t proc proc proc && mount --rbind /sys sys',
    'mount -t tmpfs -o mode=1777 tmpfs tmp',
    ...(readOnlyApp ? [`mount --bind .${workdir} .${workdir} && mount -o remount,bind,ro .${workdir}`] : []),
  ].join('\n');
}

function writeUsers(): { uid: number; gid: number } {
  const etc = path.join(scratch, 'etc');
  mkdirSync(etc, { recursive: true });
  const user = last(runtime, 'USER');
  // The official node image's `node` user is uid/gid 1000.
  const passwd = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith(`${user}:`));
  const group = readFileSync('/etc/group', 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith(`${user}:`));
  writeFileSync(path.join(etc, 'passwd'), `${[...passwd, `${user}:x:1000:1000:${user}:/home/${user}:/bin/sh`].join('\n')}\n`);
  writeFileSync(path.join(etc, 'group'), `${[...group, `${user}:x:1000:`].join('\n')}\n`);
  return { uid: 1000, gid: 1000 };
}

const envArgs = (env: Record<string, string>): string[] => Object.entries(env).map(([k, v]) => `${k}=${v}`);
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

describe('image recipe replayed without a container engine', () => {
  const why = replayUnavailable();
  if (why) console.warn(`[image-recipe] SKIPPED the replay: ${why}`);

  it.skipIf(why !== null)(
    'installs at build time, starts read-only as a non-root user, passes its HEALTHCHECK, renders a PDF and backs up',
    async () => {
      const deps = stages.slice(0, -1).map((s) => replayStage(s, true));
      expect(deps.length).toBeGreaterThan(0);
      const { root, workdir, deferred } = replayStage(runtime, false);
      const ids = writeUsers();
      expect(existsSync(path.join(root, workdir, 'node_modules', 'playwright-core'))).toBe(true);
      expect(existsSync(path.join(root, workdir, 'node_modules', 'vitest'))).toBe(false);

      // The runtime stage's own RUN steps (folders for the volumes), as root inside the chroot, as a build would.
      for (const cmd of deferred) {
        const r = spawnSync(
          'unshare',
          ['-m', '--propagation', 'private', '/bin/sh', '-c', `${mountScript(root, workdir, false)}\nexec chroot . /bin/sh -c ${q(cmd)}`],
          { encoding: 'utf8' },
        );
        expect(r.status, `RUN ${cmd}: ${r.stderr}`).toBe(0);
      }

      const [httpPort, mqttPort] = [await freePort(), await freePort()];
      const env: Record<string, string> = {
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        HOME: `/home/${last(runtime, 'USER')}`,
        ...runtimeEnv,
        // What compose sets (docker-compose.yml), with loopback ephemeral ports: this machine shares 1883/8080.
        SW_HTTP_HOST: '127.0.0.1',
        SW_HTTP_PORT: String(httpPort),
        SW_MQTT_HOST: '127.0.0.1',
        SW_MQTT_PORT: String(mqttPort),
        SW_ADMIN_PASSWORD: ADMIN_PASSWORD,
        SW_SECRET_KEY: randomBytes(32).toString('hex'),
        SW_LOG_LEVEL: 'info',
      };
      const asUser = (cmd: string[]): string =>
        `exec chroot . /usr/bin/setpriv --reuid=${ids.uid} --regid=${ids.gid} --clear-groups /usr/bin/env -i ${envArgs(env).map(q).join(' ')} /bin/sh -c ${q(`cd ${workdir} && exec "$@"`)} sh ${cmd.map(q).join(' ')}`;
      const entrypoint = commandOf(last(runtime, 'ENTRYPOINT') || '[]');
      const start = [...(entrypoint[0] && existsSync(entrypoint[0]) ? entrypoint : []), ...commandOf(last(runtime, 'CMD'))];
      if (entrypoint[0] && !existsSync(entrypoint[0]))
        console.warn(`[image-recipe] ${entrypoint[0]} (ENTRYPOINT) is not installed here: running CMD without it`);
      const logFile = path.join(scratch, 'service.log');
      const out = openSync(logFile, 'a');
      service = spawn('unshare', ['-m', '--propagation', 'private', '/bin/sh', '-c', `${mountScript(root, workdir, true)}\n${asUser(start)}`], {
        detached: true,
        stdio: ['ignore', out, out],
      });
      const pid = service.pid!;
      const inside = (cmd: string[], timeout = 60_000) =>
        spawnSync('nsenter', ['--target', String(pid), '--mount', '/bin/sh', '-c', `cd ${root} && ${asUser(cmd)}`], { encoding: 'utf8', timeout });

      // HEALTHCHECK: its command, inside the container, until it passes within start period + retries × interval.
      const hc = healthcheckOf(last(runtime, 'HEALTHCHECK'));
      const deadline = Date.now() + hc.startPeriodMs + hc.retries * hc.intervalMs + 60_000;
      let healthy = false;
      while (!healthy && Date.now() < deadline && service.exitCode === null) {
        await new Promise((r) => setTimeout(r, 2000));
        healthy = inside(hc.cmd, hc.timeoutMs + 5000).status === 0;
      }
      expect(healthy, `HEALTHCHECK never passed; log:\n${readFileSync(logFile, 'utf8').slice(-3000)}`).toBe(true);

      // The code is read-only for the service's user; the volume is writable.
      expect(inside(['/bin/sh', '-c', `touch ${workdir}/package.json`]).status).not.toBe(0);
      expect(inside(['/bin/sh', '-c', `touch ${runtimeEnv.SW_DATA_DIR}/probe && rm ${runtimeEnv.SW_DATA_DIR}/probe`]).status).toBe(0);
      expect(inside(['id', '-u']).stdout.trim()).toBe(String(ids.uid));

      const base = `http://127.0.0.1:${httpPort}`;
      const login = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
      });
      const { token } = (await login.json()) as { token: string };
      const now = new Date();
      const period = `${now.getUTCFullYear()}-H${now.getUTCMonth() < 6 ? 1 : 2}`;
      const pdf = await fetch(`${base}/api/v1/reports/indicators?period=${period}&format=pdf`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(120_000),
      });
      expect(
        pdf.status,
        await pdf
          .clone()
          .text()
          .then((t) => t.slice(0, 300)),
      ).toBe(200);
      const bytes = Buffer.from(await pdf.arrayBuffer());
      expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
      // Font names stay readable in the PDF's font dictionaries: the report was set in Noto (Vietnamese glyphs).
      expect(bytes.toString('latin1')).toMatch(/\/BaseFont\s*\/[A-Z]{6}\+Noto/);

      // Backups inside the image: npm with its cache in /tmp, the embedded store snapshotted by the running service.
      const backup = inside(['npm', 'run', '--silent', 'backup'], 240_000);
      expect(backup.status, backup.stdout + backup.stderr).toBe(0);
      expect(backup.stdout).toMatch(/taken online by the running service/);
      expect(inside(['pg_dump', '--version']).stdout).toMatch(/PostgreSQL\) 15\./);

      // docker stop: SIGTERM through the ENTRYPOINT (tini) to the service, which drains and exits 0.
      process.kill(pid, 'SIGTERM');
      const code = await new Promise<number | null>((r) => service!.once('exit', (c) => r(c)));
      expect(code, readFileSync(logFile, 'utf8').slice(-2000)).toBe(0);
    },
    900_000,
  );
});
