/**
 * The memory yardstick: a bare node:http server that holds SSE responses
 * and beats their heartbeats from one shared interval, as settle does, and
 * nothing else: no framework, no auth, no database.
 */
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const port = Number(process.env.PORT ?? 0);
const heartbeatMs = Number(process.env.HEARTBEAT_INTERVAL_MS ?? 15_000);
const open = new Set<http.ServerResponse>();
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

setInterval(() => {
  for (const response of open) {
    response.write(': heartbeat\n\n');
  }
}, heartbeatMs);

const server = http.createServer((request, response) => {
  if (request.url === '/healthz') {
    response.end('ok');
    return;
  }
  if (request.url === '/stats') {
    response.setHeader('Content-Type', 'application/json');
    response.end(
      JSON.stringify({
        streams: open.size,
        eventLoopP50Ms: loopDelay.percentile(50) / 1e6,
        eventLoopP99Ms: loopDelay.percentile(99) / 1e6,
        heapUsedBytes: process.memoryUsage().heapUsed,
      }),
    );
    loopDelay.reset();
    return;
  }
  response.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
  });
  response.write('retry: 3000\n\n');
  open.add(response);
  response.on('close', () => open.delete(response));
});

server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
