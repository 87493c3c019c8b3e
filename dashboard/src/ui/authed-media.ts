import { api, ApiError } from '../api.ts';

/**
 * Images and files behind the bearer token. An <img src> cannot send the Authorization header, so images are fetched as
 * blobs and shown through object URLs; a page owns an ObjectUrls set and revokes everything it made when it leaves.
 */
export interface AuthedBlob {
  blob: Blob;
  headers: Headers;
}

/** GETs a binary resource with the session's token; a coded ApiError on failure (404 NO_SNAPSHOT and the like). */
export async function fetchBlob(url: string, signal?: AbortSignal): Promise<AuthedBlob> {
  const r = await fetch(url, { headers: api.token ? { authorization: `Bearer ${api.token}` } : {}, ...(signal ? { signal } : {}) });
  if (!r.ok) {
    let code = 'HTTP';
    let message = r.statusText;
    try {
      const e = ((await r.json()) as { error?: { code?: string; message?: string } }).error;
      code = e?.code ?? code;
      message = e?.message ?? message;
    } catch {
      /* not JSON */
    }
    if (r.status === 401) api.forget();
    throw new ApiError(r.status, code, message);
  }
  return { blob: await r.blob(), headers: r.headers };
}

/** Object URLs made by one page; `revokeAll()` on cleanup, `swap()` to replace one image's URL without leaking the old. */
export class ObjectUrls {
  private readonly urls = new Set<string>();

  make(blob: Blob): string {
    const u = URL.createObjectURL(blob);
    this.urls.add(u);
    return u;
  }

  revoke(url: string | null | undefined): void {
    if (url && this.urls.delete(url)) URL.revokeObjectURL(url);
  }

  /** Points the image at a new blob, then revokes what it showed before (only URLs this set made). */
  swap(img: HTMLImageElement, blob: Blob): void {
    const old = img.getAttribute('src');
    img.src = this.make(blob);
    this.revoke(old);
  }

  revokeAll(): void {
    for (const u of this.urls) URL.revokeObjectURL(u);
    this.urls.clear();
  }
}

/** Saves a blob under a file name (the browser's download, from an object URL revoked shortly after). */
export function saveBlob(blob: Blob, filename: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 30_000);
}
