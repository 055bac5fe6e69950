// Helpers shared by the commands that run simulations: write the result document, print the table,
// and turn broken invariants into a `reproduce:` line and exit code 3.

import { writeFileSync } from "node:fs";
import type { ResultDocument } from "@synclag/sim";
import { EXIT } from "../cli-error.js";
import { renderComparison } from "../render/comparison-table.js";

export function useColor(stream: NodeJS.WriteStream, flag: boolean | undefined): boolean {
  if (flag === false || process.env.NO_COLOR !== undefined) return false;
  return Boolean(stream.isTTY);
}

/** Writes `--json` (a path, or "-" for stdout) and prints the table unless stdout carries JSON. Returns the exit code. */
export function finish(doc: ResultDocument, options: { json?: string | undefined; color?: boolean | undefined }): number {
  const text = JSON.stringify(doc, null, 2) + "\n";
  if (options.json === "-") process.stdout.write(text);
  else {
    if (options.json) writeFileSync(options.json, text);
    process.stdout.write(renderComparison(doc, { color: useColor(process.stdout, options.color) }) + "\n");
    if (options.json) process.stderr.write(`result written to ${options.json}\n`);
  }
  if (!doc.ok) {
    for (const strategy of doc.strategies) {
      for (const check of strategy.checks.filter((c) => !c.ok)) process.stderr.write(`invariant broken (${strategy.strategy}): ${check.name}: ${check.detail}\n`);
    }
    const failing = doc.strategies.find((s) => !s.ok);
    // A real run is reproduced by running it again (same seed, same arrival plan); a simulated one to the byte.
    const reproduce = doc.generator.mode === "real" ? doc.reproduce : `npx synclag simulate --scenario ${doc.scenario.name} --strategy ${failing?.strategy ?? "events"} --seed ${doc.seed}`;
    process.stderr.write(`reproduce: ${reproduce}\n`);
    return EXIT.invariantBroken;
  }
  return EXIT.ok;
}
