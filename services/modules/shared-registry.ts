/**
 * Services modules share with each other, by name, typed (issue 16). Each module declares what it shares next to its
 * own code, by augmenting `SharedServices`:
 *
 *     declare module '../modules/shared-registry.ts' {
 *       interface SharedServices { cameras: CameraFeature }
 *     }
 *
 * so `ctx.shared.get('cameras')` is a `CameraFeature | undefined` everywhere, `set` refuses a value of another shape, and
 * this file imports nothing from the modules (no import cycle). A module that may be absent is `undefined` at `get`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by each module's declaration merging
export interface SharedServices {}

export type SharedName = keyof SharedServices;

export class SharedRegistry {
  private readonly items = new Map<string, unknown>();

  set<K extends SharedName>(name: K, service: SharedServices[K]): void {
    this.items.set(name, service);
  }

  get<K extends SharedName>(name: K): SharedServices[K] | undefined {
    return this.items.get(name) as SharedServices[K] | undefined;
  }

  /** A name known only at run time (e.g. a kind's declared indicator source): the caller checks what it got. */
  lookup(name: string): unknown {
    return this.items.get(name);
  }

  has(name: string): boolean {
    return this.items.has(name);
  }

  names(): string[] {
    return [...this.items.keys()];
  }
}
