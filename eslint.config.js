// Lint = layer rules + nondeterminism bans + promise hygiene. The layers (one-way dependencies):
//   core ← engine, marketplaces, metrics ← workload ← sim ← apps
//   core ← adapters (redis-store, nats-feed)            ← apps
//   server-process (node built-ins only) ← testkit, service
// Code the simulator drives may not read real time or real randomness: it must take them from the
// Clock / Scheduler / Random ports, or same-seed runs stop being byte-identical.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import importX from "eslint-plugin-import-x";
import globals from "globals";

const ioModules = ["fs", "net", "http", "https", "http2", "child_process", "dgram", "dns", "tls", "worker_threads", "cluster"]
  .flatMap((m) => [m, `node:${m}`, `${m}/*`, `node:${m}/*`]);
const thirdPartyIo = ["redis", "@nats-io/*", "undici", "msw", "msw/*", "fastify"];

/** Allowed @synclag imports per layer; everything else under @synclag/* is refused. */
const layers = {
  core: [],
  engine: ["core"],
  marketplaces: ["core"],
  metrics: ["core"],
  workload: ["core", "marketplaces"],
  sim: ["core", "engine", "marketplaces", "metrics", "workload"],
  "redis-store": ["core"],
  "nats-feed": ["core"],
  "server-process": [],
  testkit: ["core", "server-process"],
  service: ["core", "engine", "marketplaces", "metrics", "workload", "sim", "redis-store", "nats-feed", "channels", "mock-marketplaces", "server-process"],
  "mock-marketplaces": ["core", "marketplaces"],
  channels: ["core", "marketplaces"],
  // Renderers over the result document: sim for its types only (import type), never the simulator.
  report: ["core", "metrics", "sim", "workload"],
};
const allPackages = [...new Set(Object.keys(layers).concat(["report", "channels", "cli"]))];

function layerRule(name, allowed, { pure }) {
  const forbidden = allPackages.filter((p) => p !== name && !allowed.includes(p)).map((p) => `@synclag/${p}`);
  return {
    files: [`packages/${name}/src/**/*.ts`],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: forbidden, message: `layer rule: packages/${name} may import only ${allowed.map((a) => "@synclag/" + a).join(", ") || "no other @synclag package"}` },
            { group: ["@synclag/*/src/*", "../../*"], message: "no deep imports across packages: use the package's index" },
            ...(pure ? [{ group: [...ioModules, ...thirdPartyIo], message: `packages/${name} is pure: no I/O modules (adapters and apps do I/O)` }] : []),
          ],
        },
      ],
    },
  };
}

const nondeterminism = {
  "no-restricted-properties": [
    "error",
    { object: "Math", property: "random", message: "use the Random port (a named Prng stream)" },
    { object: "Date", property: "now", message: "use the Clock port" },
    { object: "performance", property: "now", message: "use the Clock port" },
  ],
  "no-restricted-globals": [
    "error",
    { name: "setTimeout", message: "use the Scheduler port" },
    { name: "setInterval", message: "use the Scheduler port" },
    { name: "setImmediate", message: "use the Scheduler port" },
  ],
  "no-restricted-syntax": [
    "error",
    { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: "new Date() reads real time: use the Clock port" },
  ],
};

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/dist/**", "**/.turbo/**", "bench/results/**", "**/*.js", "!eslint.config.js"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "import-x": importX },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { arguments: false } }],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "import-x/no-cycle": "error",
    },
  },
  { files: ["eslint.config.js"], ...tseslint.configs.disableTypeChecked },
  ...Object.entries(layers).map(([name, allowed]) =>
    layerRule(name, allowed, { pure: ["core", "engine", "marketplaces", "metrics", "sim"].includes(name) }),
  ),
  {
    // Everything the simulator drives.
    files: ["packages/{core,engine,marketplaces,workload,sim,metrics}/src/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: nondeterminism,
  },
);
