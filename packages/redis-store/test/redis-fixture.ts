// Test support: a private redis-server per test file (via @synclag/testkit), node-redis clients on it,
// and a readable dump of every key of a store, for "nothing was written — read Redis after" proofs.
// Easy to get wrong: only ever talk to the server started here (a free loopback port), never 6379.

import { afterAll, beforeAll } from "vitest";
import { createClient } from "redis";
import { redisServerSkipReason, startRedisServer } from "@synclag/testkit";
import type { RedisServer, RedisServerOptions } from "@synclag/testkit";

function makeClient(url: string, resp: 2 | 3) {
  return createClient({ url, RESP: resp, disableOfflineQueue: true });
}
export type TestClient = ReturnType<typeof makeClient>;

/** Why the Redis tests are skipped (redis-server missing outside CI); throws under CI=true. */
export const skipReason = redisServerSkipReason();
if (skipReason) console.warn(`skipping the Redis integration tests: ${skipReason}`);

export interface RedisFixture {
  readonly server: RedisServer;
  /** A RESP3 client (node-redis 6 default). */
  readonly client: TestClient;
  /** Another client for this server (closed after the file). */
  newClient(options?: { readonly resp?: 2 | 3 }): Promise<TestClient>;
}

/** Starts a private redis-server before the file's tests and stops it (and every client) after them. */
export function useRedisServer(options: RedisServerOptions = {}): () => RedisFixture {
  let fixture: RedisFixture | undefined;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    if (skipReason) return;
    const server = await startRedisServer(options);
    const newClient = async (clientOptions: { readonly resp?: 2 | 3 } = {}) => {
      const client = makeClient(server.url, clientOptions.resp ?? 3);
      client.on("error", () => {});
      await client.connect();
      clients.push(client);
      return client;
    };
    fixture = { server, client: await newClient(), newClient };
  }, 20_000);
  afterAll(async () => {
    await Promise.all(clients.map((client) => (client.isOpen ? client.destroy() : undefined)));
    await fixture?.server.dispose();
  }, 20_000);
  return () => {
    if (!fixture) throw new Error("redis fixture not started");
    return fixture;
  };
}

let prefixCounter = 0;
/** A key prefix no other test of this file uses. */
export function uniquePrefix(label: string): string {
  prefixCounter += 1;
  return `test:${label}:${prefixCounter}:`;
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/gu, (character) => `\\${character}`);
}

/** Every key under `keyspace` with its type, value and whether it has a TTL — sorted, comparable. */
export async function dumpKeyspace(client: TestClient, keyspace: string): Promise<Record<string, unknown>> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const reply = (await client.sendCommand(["SCAN", cursor, "MATCH", `${escapeGlob(keyspace)}*`, "COUNT", "1000"])) as [string, string[]];
    cursor = reply[0];
    keys.push(...reply[1]);
  } while (cursor !== "0");
  const dump: Record<string, unknown> = {};
  for (const key of [...new Set(keys)].sort()) {
    const type = String(await client.sendCommand(["TYPE", key]));
    const hasTtl = Number(await client.sendCommand(["PTTL", key])) > 0;
    let value: unknown;
    if (type === "string") value = await client.sendCommand(["GET", key]);
    else if (type === "hash") value = await client.sendCommand(["HGETALL", key]);
    else if (type === "set") value = ((await client.sendCommand(["SMEMBERS", key])) as string[]).sort();
    else if (type === "stream") value = await client.sendCommand(["XRANGE", key, "-", "+"]);
    else if (type === "zset") value = await client.sendCommand(["ZRANGE", key, "0", "-1", "WITHSCORES"]);
    else value = `<${type}>`;
    dump[key] = { type, hasTtl, value };
  }
  return dump;
}
