/** Runs the last of a burst of calls per key once the burst has been quiet for `delay` ms (a document's re-check while it is typed). */
export class Debouncer {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(readonly delay: number) {}

  /** Runs `run` after the delay, unless the key is scheduled again (or cancelled) before. */
  schedule(key: string, run: () => void): void {
    this.cancel(key);
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      run();
    }, this.delay));
  }

  cancel(key: string): void {
    const t = this.timers.get(key);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(key);
  }

  cancelAll(): void {
    for (const key of [...this.timers.keys()]) this.cancel(key);
  }
}
