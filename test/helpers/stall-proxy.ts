/**
 * A TCP proxy to PostgreSQL that can stall the connections it carries: they
 * stay open but pass no byte, as behind a dead network path (a half-open
 * connection). New connections pass normally.
 */
import net from 'node:net';

export interface StallProxy {
  /** The given URL, pointed at the proxy. */
  readonly url: string;
  /** Stops every connection open now from passing data, for good. */
  stallOpenConnections(): void;
  close(): Promise<void>;
}

export async function startStallProxy(targetUrl: string): Promise<StallProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<net.Socket>();
  const pairs: Array<{ client: net.Socket; upstream: net.Socket }> = [];

  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    client.pipe(upstream);
    upstream.pipe(client);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    pairs.push({ client, upstream });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as net.AddressInfo).port);

  return {
    url: url.toString(),
    stallOpenConnections() {
      for (const { client, upstream } of pairs.splice(0)) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    async close() {
      for (const socket of sockets) {
        socket.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
