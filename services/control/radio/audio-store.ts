/** Audio files on disk under `${dataDir}/audio`, named by content (sha256), written atomically (temp file + rename). */
import { createReadStream, existsSync, mkdirSync, type ReadStream } from 'node:fs';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

export class AudioStore {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'audio');
    mkdirSync(this.dir, { recursive: true });
  }

  fileName(sha256: string, format: string): string {
    return path.join(this.dir, `${sha256}.${format}`);
  }

  async save(body: Buffer, sha256: string, format: string): Promise<void> {
    const final = this.fileName(sha256, format);
    if (existsSync(final)) return;
    const tmp = `${final}.${process.pid}.tmp`;
    await writeFile(tmp, body, { mode: 0o640 });
    await rename(tmp, final);
  }

  async size(sha256: string, format: string): Promise<number | null> {
    try {
      return (await stat(this.fileName(sha256, format))).size;
    } catch {
      return null;
    }
  }

  open(sha256: string, format: string): ReadStream {
    return createReadStream(this.fileName(sha256, format));
  }

  async remove(sha256: string, format: string): Promise<void> {
    await rm(this.fileName(sha256, format), { force: true });
  }
}
