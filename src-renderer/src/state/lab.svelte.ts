/**
 * The connection to the lab: the one client, app info (backend, archive), the queue, and helpers
 * that turn failed requests into visible messages. Views use `lab.request` and `lab.onEvent`.
 */
import type { LabClient, LabEvent, RequestArgs, RequestName, Results } from '../../../src-main/contract/index.ts';
import { getClient } from '../lib/client.ts';
import { toasts } from './toasts.svelte.ts';

export class LabState {
  client = $state.raw<LabClient | null>(null);
  info = $state.raw<Results['app.info'] | null>(null);
  queue = $state.raw<{ running: number; queued: number; concurrency: number } | null>(null);
  /** Why the lab is unreachable (shown instead of the views). */
  error = $state<string | null>(null);
  connecting = $state(true);
  private started: Promise<LabClient> | null = null;
  private waiters = new Set<(e: LabEvent) => void>();

  /** Connects once; later calls return the same promise. */
  connect(): Promise<LabClient> {
    this.started ??= (async () => {
      try {
        const c = await getClient();
        this.client = c;
        c.onEvent((e) => {
          if (e.type === 'queue') this.queue = { running: e.running, queued: e.queued, concurrency: e.concurrency };
          // Another archive was opened: the status bar must name the file now in use.
          if (e.type === 'archive.changed') void c.request('app.info', {}).then((i) => (this.info = i), () => {});
          for (const w of [...this.waiters]) w(e);
        });
        c.onConnection?.((change) => {
          if (change.state === 'lost') {
            this.lost = change.reason;
            return;
          }
          this.lost = null;
          // Events of the gap are gone: the status bar and every subscribed view fetch anew.
          void c.request('app.info', {}).then(
            (i) => {
              this.info = i;
              this.queue = i.queue;
            },
            () => {},
          );
          for (const r of [...this.reconnectListeners]) {
            try {
              r();
            } catch (e) {
              console.error('reconnect listener failed', e);
            }
          }
        });
        const info = await c.request('app.info', {});
        this.info = info;
        this.queue ??= info.queue;
        this.error = null;
        return c;
      } catch (e) {
        this.error = e instanceof Error ? e.message : String(e);
        this.started = null;
        throw e;
      } finally {
        this.connecting = false;
      }
    })();
    return this.started;
  }

  /**
   * Set while the lab cannot be reached after having been connected: the status bar shows
   * "disconnected" and live views mark what they show as stale.
   */
  lost = $state<string | null>(null);
  private reconnectListeners = new Set<() => void>();

  /** Calls `listener` when a lost connection is back (refetch what events would have updated); returns the disposer. */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => {
      this.reconnectListeners.delete(listener);
    };
  }

  /** Sends a request (connecting first). Errors are thrown to the caller. */
  async request<N extends RequestName>(name: N, args: RequestArgs<N>): Promise<Results[N]> {
    const c = this.client ?? (await this.connect());
    try {
      const r = await c.request(name, args);
      if (this.lost) this.lost = null;
      return r;
    } catch (e) {
      const code = (e as { code?: string }).code;
      const msg = e instanceof Error ? e.message : String(e);
      if (code === 'disconnected' || /cannot connect|connection .*closed/i.test(msg)) this.lost = msg;
      throw e;
    }
  }

  /** Like `request`, but a failure becomes an error message for the user and `null`. */
  async tryRequest<N extends RequestName>(name: N, args: RequestArgs<N>, what: string): Promise<Results[N] | null> {
    try {
      return await this.request(name, args);
    } catch (e) {
      toasts.error(`${what}: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    }
  }

  /** Subscribes to lab events (works before the connection is up); returns the disposer. */
  onEvent(listener: (e: LabEvent) => void): () => void {
    this.waiters.add(listener);
    return () => {
      this.waiters.delete(listener);
    };
  }
}

/** The app's connection to the lab. */
export const lab = new LabState();
