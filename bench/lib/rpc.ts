/**
 * Calls between the bench process and its workers: each worker is a child
 * process (forked with tsx) that serves named methods over Node's IPC
 * channel, one JSON message per call and per answer.
 */
import { fork, type ChildProcess } from 'node:child_process';

interface Call {
  id: number;
  method: string;
  params: unknown;
}

interface Answer {
  id: number;
  result?: unknown;
  error?: string;
}

export type Handlers = Record<string, (params: any) => Promise<unknown> | unknown>;

export interface Worker {
  readonly pid: number;
  call<T>(method: string, params?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/** In a worker: answers calls until the parent disconnects. */
export function serveRpc(handlers: Handlers): void {
  process.on('message', (message: Call) => {
    const handler = handlers[message.method];
    const answer = async (): Promise<Answer> => {
      if (handler === undefined) {
        return { id: message.id, error: `no method ${message.method}` };
      }
      try {
        return { id: message.id, result: await handler(message.params) };
      } catch (error) {
        return {
          id: message.id,
          error: error instanceof Error ? error.stack : String(error),
        };
      }
    };
    void answer().then((reply) => process.send!(reply));
  });
  process.on('disconnect', () => process.exit(0));
}

/** In the bench process: starts a worker script and returns its caller. */
export function startWorker(script: string, env: Record<string, string> = {}): Worker {
  const child: ChildProcess = fork(script, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<
    number,
    { resolve(value: unknown): void; reject(e: Error): void }
  >();
  let nextId = 1;

  child.on('message', (answer: Answer) => {
    const pending = waiting.get(answer.id);
    waiting.delete(answer.id);
    if (answer.error !== undefined) {
      pending?.reject(new Error(`${script}: ${answer.error}`));
    } else {
      pending?.resolve(answer.result);
    }
  });
  child.once('exit', (code) => {
    for (const pending of waiting.values()) {
      pending.reject(new Error(`${script} exited with ${code}`));
    }
    waiting.clear();
  });

  return {
    pid: child.pid!,
    call<T>(method: string, params?: unknown): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ id, method, params } satisfies Call);
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) {
        return;
      }
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await exited;
    },
  };
}
