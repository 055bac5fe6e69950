// Node's fetch refuses the fetch standard's "bad ports" (6665–6669, 6000, 10080, …) with a bare
// "bad port", though curl reaches a mock listening there. The preflight must say what is wrong and
// what to do — not "not reachable: bad port", which reads as if nothing listened.

import { afterEach, describe, expect, it, vi } from "vitest";
import { checkStorefronts, describeStorefrontProblems } from "../src/preflight.js";

const skus = ["SKU-0001"];

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("checkStorefronts: a storefront on a port fetch blocks", () => {
  it.each([6665, 6000, 10080])("names port %i as on the fetch standard's blocked-port list, with the fix", async (port) => {
    const url = `http://127.0.0.1:${port}`;
    const problems = await checkStorefronts(new Map([["amazon", url]]), skus, { timeoutMs: 2_000 });
    expect(describeStorefrontProblems(problems, skus.length)).toEqual([
      `storefront amazon (${url}): port ${port} is on the fetch standard's blocked-port list (Node's fetch refuses it, curl does not); start the mocks on another --port`,
    ]);
  });

  it("sends nothing to a blocked port (the check is made on the URL)", async () => {
    const fetchSpy = vi.fn(() => Promise.reject(new Error("must not be called")));
    vi.stubGlobal("fetch", fetchSpy);
    const problems = await checkStorefronts(new Map([["shop", "http://127.0.0.1:6666/"]]), skus);
    expect(problems[0]?.error).toMatch(/^port 6666 is on the fetch standard's blocked-port list/);
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it("words fetch's own 'bad port' refusal the same way for a port not on this list (a newer list)", async () => {
    vi.stubGlobal("fetch", () => Promise.reject(new TypeError("fetch failed", { cause: new Error("bad port") })));
    const problems = await checkStorefronts(new Map([["shop", "http://127.0.0.1:7001"]]), skus);
    expect(problems[0]?.error).toBe("port 7001 is on the fetch standard's blocked-port list (Node's fetch refuses it, curl does not); start the mocks on another --port");
  });

  it("leaves other ports alone", async () => {
    vi.stubGlobal("fetch", () => Promise.reject(new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) })));
    const problems = await checkStorefronts(new Map([["shop", "http://127.0.0.1:7001"]]), skus);
    expect(problems[0]?.error).toBe("not reachable: ECONNREFUSED");
  });
});
