// The service's `bundles` setting: bundle SKUs sold out of component SKUs (docs/engine-service.md,
// "Bundles"). Validated with the engine's own rules (checkBundles), every problem listed with its path
// beside the configuration's other problems (exit 2), before anything connects.
import { describe, expect, it } from "vitest";
import { file, problemsOf } from "./config-test-support.js";
import { loadServiceConfig, serviceConfigSchema } from "./config.js";

describe("service configuration: bundles", () => {
  it("has none by default and reads bundle definitions from the file", () => {
    expect(loadServiceConfig({}, {}).bundles).toEqual([]);
    const config = loadServiceConfig({ config: file("engine.yaml", "bundles:\n  - sku: GIFT-SET\n    components:\n      - { sku: MUG, quantity: 2 }\n      - { sku: TEA, quantity: 1 }\n") }, {});
    expect(config.bundles).toEqual([{ sku: "GIFT-SET", components: [{ sku: "MUG", quantity: 2 }, { sku: "TEA", quantity: 1 }] }]);
    // The typed API too.
    expect(serviceConfigSchema.parse({ bundles: [{ sku: "B", components: [{ sku: "A", quantity: 1 }] }] }).bundles).toEqual([{ sku: "B", components: [{ sku: "A", quantity: 1 }] }]);
  });

  it("lists every problem of the bundles with its path, beside the other settings' problems", () => {
    const text = [
      "strategy: polling:1ms",
      "bundles:",
      "  - sku: GIFT",
      "    components: [{ sku: MUG, quantity: 0 }, { sku: TEA, quantity: 1.5 }]",
      "  - sku: GIFT",
      "    components: []",
      "  - sku: DUO",
      "    components: [{ sku: GIFT, quantity: 1 }]",
      "  - sku: ''",
      "    components: [{ sku: MUG, quantity: 1 }]",
      "  - sku: X",
      "    components: [{ sku: MUG, quantity: 1, colour: red }]",
    ].join("\n");
    const problems = problemsOf(() => loadServiceConfig({ config: file("bad.yaml", text) }, {}));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^strategy: /),
        expect.stringMatching(/^bundles\.0\.components\.0\.quantity: units per bundle must be an integer ≥ 1, got 0/),
        expect.stringMatching(/^bundles\.0\.components\.1\.quantity: units per bundle must be an integer ≥ 1, got 1\.5/),
        expect.stringMatching(/^bundles\.1\.sku: bundle "GIFT" is defined twice/),
        expect.stringMatching(/^bundles\.1\.components: a bundle needs at least one component/),
        expect.stringMatching(/^bundles\.2\.components\.0\.sku: "GIFT" is a bundle; a component must be a stocked SKU/),
        expect.stringMatching(/^bundles\.3\.sku: must be a non-empty SKU/),
        expect.stringMatching(/^bundles\.4\.components\.0\.colour: unknown key "colour"/),
      ]),
    );
  });

  it("refuses a bundles value that is not a list of {sku, components}", () => {
    const problems = problemsOf(() => loadServiceConfig({ config: file("bad.json", JSON.stringify({ bundles: [{ sku: 7, components: [{ sku: "A", quantity: "2" }] }, "B"] })) }, {}));
    expect(problems.some((p) => p.startsWith("bundles.0.sku:"))).toBe(true);
    expect(problems.some((p) => p.startsWith("bundles.0.components.0.quantity:"))).toBe(true);
    expect(problems.some((p) => p.startsWith("bundles.1:"))).toBe(true);
  });
  it("refuses bundle and component SKUs and units no order could carry, each with its path", () => {
    const text = JSON.stringify({ bundles: [
      { sku: "GIFT\tSET", components: [{ sku: "MUG", quantity: 1 }] },
      { sku: "DUO", components: [{ sku: "M".repeat(201), quantity: 1 }, { sku: "TEA\t", quantity: 2_000_000_000 }] },
    ] });
    const problems = problemsOf(() => loadServiceConfig({ config: file("bad.json", text) }, {}));
    expect(problems).toEqual(expect.arrayContaining([
      "bundles.0.sku: must not contain control characters",
      "bundles.1.components.0.sku: must be at most 200 bytes",
      "bundles.1.components.1.sku: must not contain control characters",
      "bundles.1.components.1.quantity: units per bundle must be at most 1000000000, got 2000000000",
    ]));
  });

  it("reads SKUs as the store compares them (NFC): a bundle defined twice in two spellings is refused", () => {
    const nfd = "CAFE\u0301-KIT";
    const twice = JSON.stringify({ bundles: [
      { sku: nfd, components: [{ sku: "MUG", quantity: 1 }] },
      { sku: nfd.normalize("NFC"), components: [{ sku: "TEA", quantity: 1 }] },
    ] });
    expect(problemsOf(() => loadServiceConfig({ config: file("dup.json", twice) }, {}))).toEqual(expect.arrayContaining([`bundles.1.sku: bundle ${JSON.stringify(nfd.normalize("NFC"))} is defined twice`]));
    const decomposed = JSON.stringify({ bundles: [{ sku: nfd, components: [{ sku: "CAFE\u0301", quantity: 1 }] }] });
    expect(loadServiceConfig({ config: file("nfd.json", decomposed) }, {}).bundles).toEqual([{ sku: nfd.normalize("NFC"), components: [{ sku: "CAF\u00c9", quantity: 1 }] }]);
  });
});
