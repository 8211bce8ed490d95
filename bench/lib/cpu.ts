/**
 * CPU time per process, from /proc, so that a scenario can say which
 * process used the machine's cores: settle, PostgreSQL (all its backends),
 * and the bench's own workers.
 */
import { readdir, readFile } from 'node:fs/promises';

/** Clock ticks per second of /proc's CPU times on Linux. */
const TICKS_PER_SECOND = 100;

export type CpuGroups = Record<string, number[] | 'postgres'>;

export interface CpuSample {
  at: number;
  /** CPU seconds so far, per group, per process id. */
  seconds: Record<string, Map<number, number>>;
}

export async function sampleCpu(groups: CpuGroups): Promise<CpuSample> {
  const seconds: Record<string, Map<number, number>> = {};
  for (const [name, members] of Object.entries(groups)) {
    const pids = members === 'postgres' ? await postgresPids() : members;
    const byPid = new Map<number, number>();
    for (const pid of pids) {
      const used = await cpuSecondsOf(pid);
      if (used !== undefined) {
        byPid.set(pid, used);
      }
    }
    seconds[name] = byPid;
  }
  return { at: performance.now(), seconds };
}

/**
 * Each group's share of one core between two samples, in percent. Only
 * processes alive at both samples count: a PostgreSQL backend that ended in
 * between, or started, is left out (the bench's own short-lived ones).
 */
export function cpuPercent(before: CpuSample, after: CpuSample): Record<string, number> {
  const elapsed = (after.at - before.at) / 1000;
  const shares: Record<string, number> = {};
  for (const [name, byPid] of Object.entries(after.seconds)) {
    let used = 0;
    for (const [pid, seconds] of byPid) {
      const earlier = before.seconds[name]?.get(pid);
      used += earlier === undefined ? 0 : seconds - earlier;
    }
    shares[name] = Math.round((used / elapsed) * 100);
  }
  return shares;
}

async function cpuSecondsOf(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) {
    return undefined;
  }
  // Fields after the command name, which may hold spaces, in parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

async function postgresPids(): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (/^\d+$/.test(entry)) {
      const name = await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '');
      if (name.trim() === 'postgres') {
        pids.push(Number(entry));
      }
    }
  }
  return pids;
}
