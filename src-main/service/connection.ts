/**
 * A client's connection to the service: the long jobs it started belong to it. Its own file, a leaf
 * of service/ (it knows the service only as something that handles requests), so the handler files
 * can take it without importing the core.
 */
import type { ContractError, LabEvent } from '../contract/index.ts';

/** A reply as both transports send it (without the request id, which the transport adds). */
export type ServiceReply = { ok: true; result: unknown } | { ok: false; error: ContractError };

/** What a connection hands its requests to (the LabService). */
interface RequestHandler {
  handle(name: string, rawArgs: unknown, conn: LabConnection): Promise<ServiceReply>;
}

/** A long job a connection started: the caller's label and how to stop it. */
interface OwnedJob {
  label: string | null;
  cancel: () => boolean;
}

/**
 * One client's connection to the service (a WebSocket, one HTTP request, an app window, or the
 * in-process caller): the long jobs it starts belong to it. Their ids are made by the service;
 * the caller's `jobId` is only a label within this connection, so one connection can never cancel
 * another's job, and closing the connection cancels every job it started (a job no longer outlives
 * its socket, holding the worker until its timeout).
 */
export class LabConnection {
  /** Jobs running for this connection, by the service's id. */
  readonly jobs = new Map<string, OwnedJob>();
  private open = true;

  constructor(
    private readonly service: RequestHandler,
    /** Where events for this connection alone go (`job.started`, its `backends.progress`). */
    readonly send: (e: LabEvent) => void,
  ) {}

  /** Whether the connection still takes requests. */
  get isOpen(): boolean {
    return this.open;
  }

  /** Runs one request on behalf of this connection (see LabService.handle). */
  handle(name: string, rawArgs: unknown): Promise<ServiceReply> {
    return this.service.handle(name, rawArgs, this);
  }

  /** Cancels every job this connection started and refuses its later requests; returns how many were cancelled. */
  close(): number {
    this.open = false;
    let n = 0;
    for (const j of [...this.jobs.values()]) if (j.cancel()) n++;
    return n;
  }
}
