/**
 * A push-to-pull bridge: the engine pushes events through a callback, the caller pulls them with
 * `for await`. Events are buffered, so a slow consumer misses none; the stream ends (or throws) when
 * the request settles.
 */
export class EventStream<T> implements AsyncIterable<T> {
  private queue: T[] = [];
  private waiting?: () => void;
  private done = false;
  private error: unknown;

  push = (v: T): void => {
    this.queue.push(v);
    this.wake();
  };

  /** Ends the stream after the buffered events (with `error`, the iterator throws it at the end). */
  end(error?: unknown): void {
    this.done = true;
    this.error = error;
    this.wake();
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.queue.length) {
        yield this.queue.shift()!;
        continue;
      }
      if (this.done) {
        if (this.error !== undefined) throw this.error;
        return;
      }
      await new Promise<void>((r) => (this.waiting = r));
    }
  }
}
