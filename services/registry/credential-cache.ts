/**
 * Device credentials that the database verified, kept in memory so known devices can still connect while the database
 * cannot answer (outage, failover): after a power cut the whole ward reconnects at once, often before the database is
 * back. Only what the database confirmed is kept — the device's kind and its stored secret hash (an HMAC under the
 * service key), never the secret — and it is consulted only when the database lookup fails. Bounded, least recently
 * verified first out; an entry is dropped at once on rotation, deletion, or when the database says the secret is wrong.
 */
export interface CachedCredential {
  kind: string;
  secretHash: string;
}

export class CredentialCache {
  private readonly max: number;
  /** Map order is insertion order: re-inserting on every verification keeps the least recently verified first. */
  private readonly entries = new Map<string, CachedCredential>();
  /**
   * A lookup that read the old hash just before a rotation must not put it back after the rotation's `forget`: each
   * forget is numbered, and `remember` is refused for a device forgotten after its lookup began.
   */
  private generation = 0;
  private readonly forgottenAt = new Map<string, number>();
  private forgottenSince = 0;

  constructor(maxEntries: number) {
    this.max = maxEntries;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Taken before a database lookup, handed back to `remember`. */
  get stamp(): number {
    return this.generation;
  }

  /** After the database verified this device's secret against this hash, in a lookup that began at `stamp`. */
  remember(deviceId: string, c: CachedCredential, stamp: number): void {
    if (this.max <= 0) return;
    if ((this.forgottenAt.get(deviceId) ?? this.forgottenSince) > stamp) return;
    this.entries.delete(deviceId);
    this.entries.set(deviceId, c);
    if (this.entries.size > this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  get(deviceId: string): CachedCredential | undefined {
    return this.entries.get(deviceId);
  }

  /** Credentials rotated, device deleted or disabled, or the database refused the secret: never served from here again. */
  forget(deviceId: string): void {
    this.entries.delete(deviceId);
    this.forgottenAt.set(deviceId, ++this.generation);
    if (this.forgottenAt.size > 10_000) {
      // Bounded: past this, every lookup older than now is treated as racing a forget (it is simply not cached).
      this.forgottenAt.clear();
      this.forgottenSince = this.generation;
    }
  }
}
