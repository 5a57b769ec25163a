/**
 * Batches trainer events so the archive writes one transaction per batch instead of per step:
 * a batch goes out when `max` events are waiting or `ms` milliseconds after its first event,
 * and on demand (before a checkpoint, at the end).
 */
import type { TrainerEvent } from '../spec/events.ts';

/** Collects events and hands them to `sink` in batches. */
export class EventBatcher {
  private buf: TrainerEvent[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sink: (events: TrainerEvent[]) => void,
    private readonly ms = 250,
    private readonly max = 1000,
  ) {}

  /** Queues one event. */
  push(e: TrainerEvent): void {
    this.buf.push(e);
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
