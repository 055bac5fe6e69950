// `channels[].lateLandingWindow`: the propagator's late-landing window per channel (a request whose
// outcome was unknown may still land after a newer version; at the window's end the latest is pushed
// again). A duration like the others (its unit required in the file), whole ms ≥ 0, at most 1h; absent,
// the engine's default (30 s) applies. Every problem is listed at once, with the others.
import { describe, expect, it } from "vitest";
import { file, problemsOf } from "./config-test-support.js";
import { loadServiceConfig, serviceConfigSchema } from "./config.js";

const channels = (...windows: string[]) => `channels:\n${windows.map((w, i) => `  - id: shop${i}\n    kind: shopify\n    baseUrl: http://127.0.0.1:9002\n${w === "" ? "" : `    lateLandingWindow: ${w}\n`}`).join("")}`;

describe("channels[].lateLandingWindow", () => {
  it("is read from the file per channel as a duration; absent, it is left to the engine's default", () => {
    const config = loadServiceConfig({ config: file("engine.yaml", channels("10s", "0", "", "1500ms", "1h")) }, {});
    expect(config.channels.map((c) => c.lateLandingWindow)).toEqual([10_000, 0, undefined, 1_500, 3_600_000]);
  });

  it("needs its unit in the file, and lists every bad value with the other problems at once", () => {
    const path = file("engine.yaml", `${channels("30000", "-5s", "soon", "2h", "30s")}shutdownTimeout: 20\nlogLevel: loud\n`);
    const problems = problemsOf(() => loadServiceConfig({ config: path }, {}));
    expect(problems).toHaveLength(6);
    expect(problems).toEqual(
      expect.arrayContaining([
        'shutdownTimeout: 20 has no unit: write it with one, e.g. "20ms" or "20s"',
        'channels.0.lateLandingWindow: 30000 has no unit: write it with one, e.g. "30000ms" or "30000s"',
        'channels.1.lateLandingWindow: "-5s" is not a duration (use e.g. 500ms, 30s, 15m)',
        'channels.2.lateLandingWindow: "soon" is not a duration (use e.g. 500ms, 30s, 15m)',
        expect.stringMatching(/^channels\.3\.lateLandingWindow: must be at most 1h: /),
        expect.stringMatching(/^logLevel: /),
      ]),
    );
  });

  it("takes whole milliseconds ≥ 0 from a configuration built in code", () => {
    const parse = (lateLandingWindow: unknown) => serviceConfigSchema.safeParse({ channels: [{ kind: "ebay", baseUrl: "http://127.0.0.1:9005", lateLandingWindow }] });
    expect(parse(2_500).data?.channels[0]?.lateLandingWindow).toBe(2_500);
    expect(parse(0).data?.channels[0]?.lateLandingWindow).toBe(0);
    for (const bad of [-1, 1.5, 3_600_001, Number.NaN]) expect(parse(bad).success, String(bad)).toBe(false);
  });
});
