/**
 * One clock for the heartbeats of every open stream.
 *
 * A timer per stream would cost memory and wake-ups per stream; one interval
 * beats them all, and runs only while some stream is open.
 */
export class HeartbeatClock {
  readonly #beats = new Set<() => void>();
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  /** Calls `beat` on every tick until the returned function is called. */
  add(beat: () => void): () => void {
    this.#beats.add(beat);
    this.#timer ??= setInterval(() => this.#tick(), this.#intervalMs);
    return () => {
      this.#beats.delete(beat);
      if (this.#beats.size === 0) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    };
  }

  get size(): number {
    return this.#beats.size;
  }

  #tick(): void {
    for (const beat of this.#beats) {
      beat();
    }
  }
}
