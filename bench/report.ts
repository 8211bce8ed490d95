/**
 * The bench's table: every scenario's figures beside its target, with the
 * machine, the PostgreSQL and the load in the heading.
 */
import type { Machine } from './lib/machine.js';
import { round } from './lib/stats.js';
import { table } from './lib/table.js';
import type { NaiveResult, PollingRow } from './scenarios/alternatives.js';
import { medianLastMs, type BurstRow } from './scenarios/burst.js';
import type { CapacityRow } from './scenarios/capacity.js';
import type { LatencyRow, ReferenceRow } from './scenarios/latency.js';
import type { ThroughputResult } from './scenarios/throughput.js';

export interface BenchResults {
  startedAt: string;
  machine: Machine;
  postgres: { version: string; kind: string };
  settle: Record<string, string>;
  reference?: ReferenceRow;
  latency?: LatencyRow[];
  capacity?: CapacityRow[];
  burst?: BurstRow[];
  throughput?: ThroughputResult;
  polling?: PollingRow[];
  naive?: NaiveResult;
}

const verdict = (met: boolean) => (met ? 'met' : 'MISSED');

export function renderReport(results: BenchResults): string {
  const { machine } = results;
  const out: string[] = [
    `settle bench, ${results.startedAt}`,
    `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ` +
      `${machine.kernel}, open files ${machine.openFilesLimit}`,
    `node ${machine.node}; PostgreSQL ${results.postgres.version} ` +
      `(${results.postgres.kind}), on the same machine`,
    `settle: ${Object.entries(results.settle)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ')}`,
    'clients, drivers and comparison servers run in processes of their own, over loopback',
  ];

  if (results.latency !== undefined) {
    out.push('', '1. Latency, webhook sent -> event parsed by the waiting client (ms)');
    out.push(
      table(
        [
          'idle',
          'rate/s',
          'sent',
          'lost',
          'p50',
          'p99',
          'max',
          'srv p50',
          'srv p99',
          'db tx/s',
          'cpu% settle/pg/driver/idle',
        ],
        results.latency.map((row) => [
          row.idleStreams,
          row.rate,
          row.sent,
          row.missing,
          row.p50Ms,
          row.p99Ms,
          row.maxMs,
          row.serverP50Ms,
          row.serverP99Ms,
          Math.round(row.dbTransactionsPerSecond),
          `${row.cpu.settle}/${row.cpu.postgres}/${row.cpu.driver}/${row.cpu.idle}`,
        ]),
      ),
    );
    out.push('  srv: settle alone, just before COMMIT -> SSE write (its histogram)');
    if (results.reference !== undefined) {
      const ref = results.reference;
      out.push(
        `  PostgreSQL alone, COMMIT sent -> plain pg listener, ${ref.rate}/s: ` +
          `p50 ${round(ref.p50Ms)} ms, p99 ${round(ref.p99Ms)} ms (${ref.count} samples)`,
      );
    }
    const target = results.latency.find(
      (row) => row.rate === 500 && row.idleStreams >= 10_000,
    );
    if (target !== undefined) {
      out.push(
        `  target at 500/s with 10,000 idle: p50 <= 2 ms ${verdict(target.p50Ms <= 2)}, ` +
          `p99 <= 10 ms ${verdict(target.p99Ms <= 10)}`,
      );
    }
  }

  if (results.capacity !== undefined) {
    out.push('', '2. Idle capacity: waiting streams held by one process');
    out.push(
      table(
        [
          'server',
          'streams',
          'held',
          'beating',
          'RSS MiB',
          'B/stream',
          'B/added',
          'heap B/stream',
          'loop p50',
          'loop p99',
        ],
        results.capacity.map((row) => [
          row.server,
          row.streams,
          row.held,
          row.beating,
          row.rssMiB,
          row.bytesPerStream,
          row.marginalBytesPerStream,
          row.heapBytesPerStream ?? '',
          row.eventLoopP50Ms,
          row.eventLoopP99Ms,
        ]),
      ),
    );
    out.push(
      '  B/stream: RSS over the warmed-up empty process, per stream; ' +
        'B/added: RSS growth per stream since the level before',
      '  heap B/stream: V8 heap in use over the empty process, per stream ' +
        '(the JavaScript objects a stream keeps, and garbage not yet collected)',
      '  loop: event-loop delay in ms, sampled every 10 ms (the sampling adds ~10 ms)',
    );
    const top = Math.max(...results.capacity.map((row) => row.streams));
    const settle = results.capacity.find(
      (r) => r.server === 'settle' && r.streams === top,
    );
    const bare = results.capacity.find((r) => r.server !== 'settle' && r.streams === top);
    if (settle !== undefined && bare !== undefined) {
      const ratio = settle.bytesPerStream / bare.bytesPerStream;
      const held = settle.held === top && settle.beating === top;
      const addedRatio = settle.marginalBytesPerStream / bare.marginalBytesPerStream;
      out.push(
        `  at ${top}: settle ${settle.bytesPerStream} B/stream vs bare ` +
          `${bare.bytesPerStream} B/stream = ${round(ratio)}x; target <= 1.5x ` +
          `${verdict(ratio <= 1.5)}; all held with heartbeats ${verdict(held)}`,
        `  per stream added on the way to ${top}: ${round(addedRatio)}x bare`,
      );
    }
  }

  if (results.burst !== undefined) {
    out.push(
      '',
      '3. Wake-up burst: one UPDATE settles every waited-for order (ms after COMMIT)',
    );
    out.push(
      table(
        ['round', 'streams', 'woken', 'commit', 'p50', 'last'],
        results.burst.map((row) => [
          row.round,
          row.streams,
          row.received,
          row.commitMs,
          row.p50Ms,
          row.lastMs,
        ]),
      ),
    );
    const all = results.burst.every((row) => row.received === row.streams);
    const last = medianLastMs(results.burst);
    out.push(
      `  median last ${round(last)} ms; target: all woken ${verdict(all)}, ` +
        `last within 2,000 ms ${verdict(last <= 2000)}`,
    );
  }

  if (results.throughput !== undefined) {
    const t = results.throughput;
    out.push(
      '',
      `4. Webhook throughput, ${t.connections} connections (events or commits/s)`,
    );
    out.push(
      table(
        ['path', 'runs', 'median'],
        [
          ['raw UPDATE + NOTIFY', t.rawPerSecond.join(' '), t.medianRaw],
          ['settle webhooks', t.webhookPerSecond.join(' '), t.medianWebhook],
        ],
      ),
    );
    out.push(
      `  ratio ${t.ratio}; target >= 0.5 ${verdict(t.ratio >= 0.5)}` +
        (t.webhookFailed > 0 ? `; ${t.webhookFailed} webhooks failed` : ''),
    );
  }

  if (results.polling !== undefined) {
    out.push(
      '',
      '5a. The alternatives at 50 webhooks/s (ms from webhook sent to client knowing)',
    );
    const settleRow = results.latency?.find(
      (r) => r.rate === 50 && r.idleStreams <= 1_000,
    );
    const rows: Array<Array<string | number>> = results.polling.map((row) => [
      `polling every ${row.intervalMs} ms`,
      row.clients,
      row.settled,
      row.p50Ms,
      row.p99Ms,
      row.pollsPerSecond,
      row.dbTransactionsPerSecond,
    ]);
    if (settleRow !== undefined) {
      rows.unshift([
        'settle (SSE)',
        settleRow.idleStreams,
        settleRow.sent - settleRow.missing,
        settleRow.p50Ms,
        settleRow.p99Ms,
        0,
        Math.round(settleRow.dbTransactionsPerSecond),
      ]);
    }
    out.push(
      table(['design', 'clients', 'settled', 'p50', 'p99', 'polls/s', 'db tx/s'], rows),
    );
  }
  if (results.naive !== undefined) {
    const n = results.naive;
    out.push(
      '',
      '5b. One LISTEN connection per waiting stream (the naive design)',
      `  held ${n.waitersHeld} waiters, then: ${n.failure}`,
      `  PostgreSQL max_connections = ${n.maxConnections}; settle uses its pool plus one ` +
        'listener connection, whatever the number of waiters',
    );
  }
  return out.join('\n');
}
