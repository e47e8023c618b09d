/**
 * When a request must be done by: routes cancel their running statements when it passes.
 * A time and a set of listeners, cleared as soon as the request is done. (An AbortSignal
 * does the same as an EventTarget, whose construction and listeners cost 3% of the server's
 * CPU per request in the bench.) Its timer starts with its first listener: a request that
 * sends no statement (a cache hit) needs none, and a timer per request was 1% of a hit's CPU.
 */
export class Deadline {
  private readonly endsAt: number;
  private fired = false;
  private cleared = false;
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly timeoutMs: number) {
    this.endsAt = performance.now() + timeoutMs;
  }

  get passed(): boolean {
    return !this.cleared && (this.fired || performance.now() >= this.endsAt);
  }

  /** Calls `listener` once when the deadline passes; the function returned stops that. */
  whenPassed(listener: () => void): () => void {
    this.listeners.add(listener);
    if (!this.cleared) this.timer ??= setTimeout(() => this.pass(), Math.max(0, this.endsAt - performance.now()));
    return () => this.listeners.delete(listener);
  }

  /** The request is done: nothing waits for its deadline any more. */
  clear(): void {
    this.cleared = true;
    clearTimeout(this.timer);
    this.listeners.clear();
  }

  private pass(): void {
    this.fired = true;
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) listener();
  }
}
