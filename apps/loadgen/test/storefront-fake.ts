// A stand-in storefront over real HTTP (the mocks' storefront and admin routes, nothing else), so the
// load generator's tests need no marketplace package: it lists `skus` and answers checkouts with `checkout`.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeStorefront {
  readonly url: string;
  readonly requests: string[];
  close(): Promise<void>;
}

export async function fakeStorefront(options: { readonly skus: readonly string[]; readonly admin?: boolean; readonly checkout?: 201 | 409 }): Promise<FakeStorefront> {
  const listed = new Set(options.skus);
  const requests: string[] = [];
  let orders = 0;
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(request.url ?? "");
    requests.push(`${request.method} ${path}`);
    const reply = (status: number, body: unknown) => response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    request.resume();
    request.on("end", () => {
      if (path === "/_synclag/admin/listings" && options.admin !== false) return reply(200, { listings: [...listed].map((sku) => ({ sku })) });
      const item = /^\/_synclag\/storefront\/items\/(.+)$/.exec(path);
      if (item) return reply(listed.has(item[1] as string) ? 200 : 404, { sku: item[1], available: listed.has(item[1] as string) ? 100 : 0, listed: listed.has(item[1] as string) });
      if (path === "/_synclag/storefront/checkout") return options.checkout === 409 ? reply(409, { error: "insufficient_stock", shown: 0 }) : reply(201, { orderId: `o-${++orders}`, createdAtMs: Date.now() });
      return reply(404, { error: "not_found" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
