// Benchmark runner: `npm run bench -- <name> [args]` imports bench/<name>.bench.ts, runs its default
// export, and writes the returned figures to bench/results/<name>.json together with the machine and
// the command. Benchmarks start (and stop) whatever servers they need themselves.
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here).filter((f) => f.endsWith(".bench.ts")).map((f) => f.replace(/\.bench\.ts$/, "")).sort();
const [name, ...args] = process.argv.slice(2);

if (!name || name === "--help" || name === "-h") {
  console.log(`usage: npm run bench -- <name> [args]\n\nbenchmarks: ${available.join(", ")}\nresults: bench/results/<name>.json, summary in bench/RESULTS.md`);
  process.exit(name ? 0 : 2);
}
if (!available.includes(name)) {
  console.error(`unknown benchmark ${JSON.stringify(name)}; available: ${available.join(", ")}`);
  process.exit(2);
}

export interface BenchContext {
  readonly args: readonly string[];
  log(message: string): void;
}

const module = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as {
  default: (context: BenchContext) => Promise<Record<string, unknown>>;
};
const startedAt = new Date();
const figures = await module.default({ args, log: (message) => process.stderr.write(`[${name}] ${message}\n`) });
const cpu = cpus()[0];
const result = {
  benchmark: name,
  ...figures,
  command: `npm run bench -- ${[name, ...args].join(" ")}`,
  machine: { cpus: cpus().length, cpuModel: cpu?.model ?? "unknown", memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  startedAt: startedAt.toISOString(),
};
mkdirSync(join(here, "results"), { recursive: true });
const file = join(here, "results", `${name}.json`);
writeFileSync(file, JSON.stringify(result, null, 2) + "\n");
console.log(JSON.stringify(result, null, 2));
console.error(`wrote ${file}`);
process.exit(0);
