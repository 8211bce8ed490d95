/** What the figures were measured on, for the table's heading. */
import { readFile } from 'node:fs/promises';
import os from 'node:os';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  openFilesLimit: string;
}

export async function describeMachine(): Promise<Machine> {
  const limits = await readFile('/proc/self/limits', 'utf8').catch(() => '');
  const openFiles = /^Max open files\s+(\S+)/m.exec(limits)?.[1] ?? 'unknown';
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    openFilesLimit: openFiles,
  };
}
