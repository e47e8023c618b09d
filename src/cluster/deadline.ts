/**
 * When a request must be done by: routes cancel their running statements when it passes.
 * A timer and a set of listeners, cleared as soon as the request is done. (An AbortSignal
 * does the same as an EventTarget, whose construction and listeners cost 3% of the server's
 * CPU per request in the bench.)
 */
export class Deadline {
  private expired = false;
  private readonly listeners = new Set<() => void>();
  private readonly timer: NodeJS.Timeout;

  constructor(readonly timeoutMs: number) {
    this.timer = setTimeout(() => this.pass(), timeoutMs);
  }

  get passed(): boolean {
    return this.expired;
  }

  /** Calls `listener` once when the deadline passes; the function returned stops that. */
  whenPassed(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The request is done: nothing waits for its deadline any more. */
  clear(): void {
    clearTimeout(this.timer);
    this.listeners.clear();
  }

  private pass(): void {
    this.expired = true;
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) listener();
  }
}
