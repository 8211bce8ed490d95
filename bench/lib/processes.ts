/**
 * The servers under test, each in a process of its own: settle as
 * `make start` runs it, and the two comparison servers in bench/servers.
 * Their logs go straight to a file, so that a busy bench never holds them up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import net from 'node:net';

import { sleep } from './stats.js';

export interface ServerProcess {
  readonly url: string;
  readonly pid: number;
  /** Resident memory in bytes, from /proc. */
  rss(): Promise<number>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;

export async function startServer(options: {
  script: string;
  env: Record<string, string>;
  logFile: string;
  /** The path that answers 200 once the server is ready. */
  readyPath: string;
  /** Extra node flags, such as --cpu-prof. */
  nodeArgs?: string[];
}): Promise<ServerProcess> {
  const port = await freePort();
  const log = openSync(options.logFile, 'w');
  const child: ChildProcess = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), '--import', 'tsx', options.script],
    {
      env: { ...process.env, ...options.env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', log, log],
    },
  );
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;

  await waitUntilReady(`${url}${options.readyPath}`, child, options.logFile);
  return {
    url,
    pid: child.pid!,
    rss: () => residentBytes(child.pid!),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
      }
      await exited;
    },
  };
}

/** VmRSS of a process, in bytes. */
export async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (match === null) {
    throw new Error(`no VmRSS for process ${pid}`);
  }
  return Number(match[1]) * 1024;
}

async function waitUntilReady(url: string, child: ChildProcess, logFile: string) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`server exited with ${child.exitCode}; see ${logFile}`);
    }
    const ready = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) {
      return;
    }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`server not ready at ${url}; see ${logFile}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
