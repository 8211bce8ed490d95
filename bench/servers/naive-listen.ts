/**
 * The naive design, for comparison: every waiting stream opens its own
 * PostgreSQL connection and LISTENs on it. Nothing is shared, so each
 * waiter costs a database connection and a server process behind it.
 */
import http from 'node:http';

import pg from 'pg';

import { OUTCOME_CHANNEL } from '../../src/notify/listener.js';

const port = Number(process.env.PORT ?? 0);
const databaseUrl = process.env.DATABASE_URL!;
const clients = new Set<pg.Client>();

const server = http.createServer((request, response) => {
  if (request.url === '/healthz') {
    response.end('ok');
    return;
  }
  const orderId = /^\/orders\/([^/]+)\/events$/.exec(request.url ?? '')?.[1];
  if (orderId === undefined) {
    response.writeHead(404).end();
    return;
  }
  void wait(orderId, response);
});

async function wait(orderId: string, response: http.ServerResponse) {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query(`LISTEN ${OUTCOME_CHANNEL}`);
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    response.writeHead(503, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ error: code ?? 'connect_failed', message }));
    await client.end().catch(() => undefined);
    return;
  }
  clients.add(client);
  response.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8' });
  response.write('retry: 3000\n\n');

  const finish = () => {
    clients.delete(client);
    void client.end().catch(() => undefined);
  };
  client.on('notification', (message) => {
    if (message.payload?.includes(orderId) === true) {
      response.end(`event: order.succeeded\ndata: ${message.payload}\n\n`);
    }
  });
  response.on('close', finish);
}

server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
  for (const client of clients) {
    void client.end().catch(() => undefined);
  }
});
