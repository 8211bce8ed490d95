/**
 * settle as a real child process, started as `make start` starts it, on an
 * ephemeral port: for shutdown and several-instance tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';

import { TEST_WEBHOOK_SECRET } from './settle.js';
import { TEST_AUTH_ENV } from './tokens.js';

export interface SettleProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Every log line so far, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const START_TIMEOUT_MS = 30_000;

export async function startSettleProcess(
  env: Record<string, string>,
): Promise<SettleProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      PORT: '0',
      LOG_LEVEL: 'info',
      STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      ...TEST_AUTH_ENV,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('settle did not start')),
      START_TIMEOUT_MS,
    );
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (entry.msg === 'settle listening') {
        clearTimeout(timer);
        resolve(String(entry.url));
      }
    });
    void exited.then((code) =>
      reject(new Error(`settle exited with ${code} while starting`)),
    );
  });

  return {
    url,
    child,
    logs,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) {
        child.kill(signal);
      }
      return exited;
    },
  };
}
