// connectNats at a server that is not NATS (a Redis on a swapped port): it must fail within the
// connect timeout saying the server did not answer like NATS — and leave no socket open, or the
// process that asked (`synclag run --nats-url`) never exits. A real nats-server still connects.

import { createServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { NatsFeedError, connectNats } from "../src/index.js";
import { natsServerAddress } from "../src/connect-nats.js";
import { natsMissing, usePrivateNatsServer } from "./support.js";

interface FakeServer {
  readonly url: string;
  /** Connections the server accepted that are still open. */
  readonly open: Set<Socket>;
  /** Stops listening (connections it still holds are destroyed). */
  close(): Promise<void>;
}

const started: FakeServer[] = [];
afterEach(async () => {
  for (const server of started.splice(0)) await server.close();
});

/** A TCP server that accepts connections and sends `greeting` (nothing when undefined), as Redis does. */
async function fakeServer(greeting?: string): Promise<FakeServer> {
  const open = new Set<Socket>();
  const server = createServer((socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    socket.on("error", () => undefined);
    socket.on("data", () => undefined);
    if (greeting !== undefined) socket.write(greeting);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  let closed: Promise<void> | undefined;
  const fake: FakeServer = {
    url: `nats://127.0.0.1:${port}`,
    open,
    close: () => {
      for (const socket of open) socket.destroy();
      closed ??= new Promise<void>((resolve) => server.close(() => resolve()));
      return closed;
    },
  };
  started.push(fake);
  return fake;
}

/** Waits (bounded) until the server has no open connection left; returns how many remain. */
async function openAfter(server: FakeServer, ms: number): Promise<number> {
  const until = Date.now() + ms;
  while (server.open.size > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
  return server.open.size;
}

describe("natsServerAddress", () => {
  it("reads host and port from nats:// and tls:// URLs and bare host:port (4222 by default), and skips other schemes", () => {
    expect(natsServerAddress("nats://127.0.0.1:6379")).toEqual({ host: "127.0.0.1", port: 6379 });
    expect(natsServerAddress("tls://user:pw@nats.example:4443")).toEqual({ host: "nats.example", port: 4443 });
    expect(natsServerAddress("127.0.0.1:4223")).toEqual({ host: "127.0.0.1", port: 4223 });
    expect(natsServerAddress("nats://[::1]")).toEqual({ host: "::1", port: 4222 });
    expect(natsServerAddress("ws://127.0.0.1:8080")).toBeUndefined();
  });
});

describe("connectNats at a server that does not speak NATS", () => {
  it("fails within the timeout saying no INFO came, and closes its connection (a silent server, like Redis)", { timeout: 20_000 }, async () => {
    const server = await fakeServer();
    const startedAt = Date.now();
    const error = await connectNats({ servers: server.url, timeoutMs: 1_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NatsFeedError);
    expect((error as Error).message).toMatch(/did not answer like NATS \(no INFO within 1000 ms\)/);
    expect(((error as Error).cause as Error).message).toMatch(/did not answer like NATS/);
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    // Before the fix nats.js timed out and kept its socket: the server still saw the connection open.
    expect(await openAfter(server, 2_000)).toBe(0);
  });

  it("fails at once on a server that greets with something else, quoting what it sent", { timeout: 20_000 }, async () => {
    const server = await fakeServer("-ERR unknown command\r\n");
    const error = await connectNats({ servers: server.url, timeoutMs: 3_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(/did not answer like NATS \(no INFO; it sent "-ERR unknown command··"\)/);
    expect(await openAfter(server, 2_000)).toBe(0);
  });

  it("still reports a refused connection as nats.js words it", { timeout: 20_000 }, async () => {
    const server = await fakeServer();
    await server.close();
    const error = await connectNats({ servers: server.url, timeoutMs: 1_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(/connection refused/);
  });
});

describe.skipIf(natsMissing !== undefined)("connectNats at a real nats-server", () => {
  const nats = usePrivateNatsServer();

  it("connects after the INFO check", async () => {
    const connection = await connectNats({ servers: nats.url(), timeoutMs: 2_000 });
    try {
      expect(connection.info?.server_id).toBeTruthy();
    } finally {
      await connection.close();
    }
  });

  it("connects through a server list with one frozen seed (TCP accepted, no INFO: a hung node) beside a healthy one (found by re-review)", { timeout: 20_000 }, async () => {
    const frozen = await fakeServer();
    const connection = await connectNats({ servers: [frozen.url, nats.url()], timeoutMs: 1_000 });
    try {
      expect(connection.info?.server_id).toBeTruthy();
    } finally {
      await connection.close();
    }
    // Something that is clearly not NATS in the list is still a configuration error.
    const redisLike = await fakeServer("-ERR unknown command\r\n");
    await expect(connectNats({ servers: [redisLike.url, nats.url()], timeoutMs: 1_000 })).rejects.toThrow(/did not answer like NATS/);
  });
});
