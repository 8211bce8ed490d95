/**
 * A TCP proxy to PostgreSQL that breaks the path for real: it can stall the
 * connections it carries (they stay open but pass no byte, as behind a dead
 * network path: half-open), or cut everything and refuse new connections
 * until it is mended.
 */
import net from 'node:net';

export interface StallProxy {
  /** The given URL, pointed at the proxy. */
  readonly url: string;
  /** Stops every connection open now from passing data, for good. */
  stallOpenConnections(): void;
  /**
   * Stalls every connection open now, and swallows every byte of the ones
   * opened until thaw(): a network path that is dead for a while. What was
   * sent into it is lost; only connections opened after thaw() pass.
   */
  freeze(): void;
  thaw(): void;
  /** Closes every connection and refuses new ones, until mend(). */
  cut(): void;
  mend(): void;
  close(): Promise<void>;
}

export async function startStallProxy(targetUrl: string): Promise<StallProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<net.Socket>();
  const pairs: Array<{ client: net.Socket; upstream: net.Socket }> = [];

  let isCut = false;
  let isFrozen = false;
  const server = net.createServer((client) => {
    if (isCut) {
      client.destroy();
      return;
    }
    sockets.add(client);
    client.on('error', () => client.destroy());
    client.on('close', () => sockets.delete(client));
    if (isFrozen) {
      client.resume();
      return;
    }
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

  const stallOpenConnections = () => {
    for (const { client, upstream } of pairs.splice(0)) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  };

  return {
    url: url.toString(),
    stallOpenConnections,
    freeze() {
      stallOpenConnections();
      isFrozen = true;
    },
    thaw() {
      isFrozen = false;
    },
    cut() {
      isCut = true;
      for (const socket of sockets) {
        socket.destroy();
      }
    },
    mend() {
      isCut = false;
    },
    async close() {
      for (const socket of sockets) {
        socket.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
