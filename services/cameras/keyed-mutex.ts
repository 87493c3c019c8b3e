/**
 * One-at-a-time execution per key (a camera id). PTZ heads act on the last command they receive, so two operators'
 * moves must reach a camera one after the other, each completing before the next is sent; calls for different cameras
 * never wait for each other.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const result = prev.then(fn);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    // Forget the key once nothing is queued behind this call, so the map does not grow with every camera ever used.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with a call running or queued. */
  get busy(): number {
    return this.tails.size;
  }
}
