/**
 * Worker: the polling alternative. Waiting clients ask GET /orders/:id at a
 * fixed interval; webhooks settle their orders at a fixed rate. A client
 * that sees its order paid records how long after its webhook that was,
 * then waits on a fresh order, so the number of waiting clients holds.
 */
import http from 'node:http';

import { serveRpc } from '../lib/rpc.js';
import { sleep } from '../lib/stats.js';
import { createWebhookSender } from '../lib/webhooks.js';

interface PollingParams {
  url: string;
  token: string;
  secret: string;
  orderIds: string[];
  clients: number;
  intervalMs: number;
  webhookRate: number;
  durationS: number;
}

async function run(params: PollingParams) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: params.clients });
  const sender = await createWebhookSender(params.url, params.secret);
  const headers = { Authorization: `Bearer ${params.token}` };
  const sentAt = new Map<string, number>();
  const samples: number[] = [];
  let nextOrder = 0;
  let polls = 0;
  let pollErrors = 0;
  let running = true;

  const poll = (orderId: string) =>
    new Promise<string>((resolve) => {
      const request = http.get(
        `${params.url}/orders/${orderId}`,
        { agent, headers },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => {
            polls += 1;
            resolve(
              res.statusCode === 200
                ? (JSON.parse(body) as { status: string }).status
                : '',
            );
          });
        },
      );
      request.on('error', () => {
        pollErrors += 1;
        resolve('');
      });
    });

  const waiting = new Set<string>();
  const client = async () => {
    let orderId = params.orderIds[nextOrder++]!;
    waiting.add(orderId);
    await sleep(Math.random() * params.intervalMs);
    while (running) {
      const due = performance.now() + params.intervalMs;
      const status = await poll(orderId);
      if (status === 'SUCCEEDED') {
        samples.push(performance.now() - sentAt.get(orderId)!);
        waiting.delete(orderId);
        orderId = params.orderIds[nextOrder++]!;
        waiting.add(orderId);
      } else if (status === '') {
        pollErrors += 1;
      }
      await sleep(Math.max(0, due - performance.now()));
    }
  };

  const webhooks = async () => {
    const intervalMs = 1000 / params.webhookRate;
    const start = performance.now();
    for (let index = 0; running; index++) {
      await sleep(Math.max(0, start + index * intervalMs - performance.now()));
      const candidates = [...waiting].filter((orderId) => !sentAt.has(orderId));
      const orderId = candidates[Math.floor(Math.random() * candidates.length)];
      if (orderId === undefined) {
        continue;
      }
      const event = sender.prepare(orderId);
      sentAt.set(orderId, performance.now());
      void sender.post(event).catch(() => undefined);
    }
  };

  const started = performance.now();
  const clients = Array.from({ length: params.clients }, client);
  const sending = webhooks();
  await sleep(params.durationS * 1000);
  running = false;
  await Promise.all([...clients, sending]);
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  sender.close();
  return { samples, polls, pollsPerSecond: polls / seconds, pollErrors, seconds };
}

serveRpc({ run });
