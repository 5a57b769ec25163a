/**
 * Batches trainer events so the archive writes one transaction per batch instead of per step:
 * a batch goes out when `max` events are waiting or `ms` milliseconds after its first event,
 * and on demand (before a checkpoint, at the end).
 */
import type { TrainerEvent } from '../common/events.ts';

/** Collects events and hands them to `sink` in batches. */
export class EventBatcher {
  private buf: TrainerEvent[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sink: (events: TrainerEvent[]) => void,
    private readonly ms = 250,
    private readonly max = 1000,
    /** The clock (ms); tests pass their own. */
    private readonly now: () => number = Date.now,
  ) {}

  /** When the oldest waiting event arrived, and when the last step ended (its 'progress'). */
  private firstAt = 0;
  private lastStepAt: number | null = null;

  /**
   * Queues one event. At the end of each step (its 'progress' event) the batch also goes out when
   * it would otherwise wait past `ms` through the next step: the timer cannot fire while a
   * synchronous step runs, so with steps of ≥ `ms` every step's events are sent as it ends. A kill
   * then loses at most about `ms` of events.
   */
  push(e: TrainerEvent): void {
    const now = this.now();
    if (this.buf.length === 0) this.firstAt = now;
    this.buf.push(e);
    if (e.type === 'progress') {
      const step = this.lastStepAt === null ? 0 : now - this.lastStepAt;
      this.lastStepAt = now;
      if (now - this.firstAt + step >= this.ms) return this.flush();
    }
    if (this.buf.length >= this.max) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.ms);
  }

  /** Sends what is waiting now. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.buf.length === 0) return;
    const batch = this.buf;
    this.buf = [];
    this.sink(batch);
  }
}
