/**
 * One clock for the heartbeats of every open stream.
 *
 * A timer per stream would cost memory and wake-ups per stream. One timer
 * ticks every TICK_MS instead and beats one slice of the streams at each
 * tick, so that each stream still gets a heartbeat once per interval, but
 * 10,000 streams never get theirs in one burst of writes that would hold up
 * a wake-up queued behind it. The timer runs only while a stream is open.
 */
const TICK_MS = 100;

export class HeartbeatClock {
  readonly #slices: Array<Set<() => void>>;
  readonly #tickMs: number;
  #nextSliceToFill = 0;
  #nextSliceToBeat = 0;
  #size = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(intervalMs: number) {
    const sliceCount = Math.max(1, Math.floor(intervalMs / TICK_MS));
    this.#slices = Array.from({ length: sliceCount }, () => new Set());
    this.#tickMs = intervalMs / sliceCount;
  }

  /** Calls `beat` once per interval until the returned function is called. */
  add(beat: () => void): () => void {
    const slice = this.#slices[this.#nextSliceToFill]!;
    this.#nextSliceToFill = (this.#nextSliceToFill + 1) % this.#slices.length;
    slice.add(beat);
    this.#size += 1;
    this.#timer ??= setInterval(() => this.#tick(), this.#tickMs);

    return () => {
      if (!slice.delete(beat)) {
        return;
      }
      this.#size -= 1;
      if (this.#size === 0) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    };
  }

  get size(): number {
    return this.#size;
  }

  #tick(): void {
    const slice = this.#slices[this.#nextSliceToBeat]!;
    this.#nextSliceToBeat = (this.#nextSliceToBeat + 1) % this.#slices.length;
    for (const beat of slice) {
      beat();
    }
  }
}
