/**
 * What every scenario is given: the database, the running settle, the
 * credentials its clients use, and the workers that drive it.
 */
import type { BenchDatabase } from '../lib/database.js';
import type { ServerProcess } from '../lib/processes.js';
import type { Worker } from '../lib/rpc.js';

export interface BenchContext {
  db: BenchDatabase;
  settle: ServerProcess;
  /** The bench user's bearer token; every bench order belongs to that user. */
  token: string;
  owner: string;
  webhookSecret: string;
  heartbeatIntervalMs: number;
  /** Holds the idle streams, in a process of its own. */
  streams: Worker;
  /** Starts another settle on the same database, for a fresh process. */
  startSettle(): Promise<ServerProcess>;
  /** Starts another worker from bench/workers. */
  worker(name: string): Worker;
  /** Starts a comparison server from bench/servers. */
  server(name: string, env?: Record<string, string>): Promise<ServerProcess>;
  /** Scale: 1 for the figures the issue asks for, less for a quick try. */
  scale: number;
  log(message: string): void;
}

/** A count scaled down for a quick run, never below `floor`. */
export function scaled(context: BenchContext, count: number, floor = 1): number {
  return Math.max(floor, Math.round(count * context.scale));
}
