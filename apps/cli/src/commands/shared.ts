// Helpers shared by the commands that run simulations: write the result document, print the table,
// and turn broken invariants into a `reproduce:` line and exit code 3.

import type { ResultDocument } from "@synclag/sim";
import { EXIT } from "../cli-error.js";
import { STDOUT, writeOutput } from "../output.js";
import { renderComparison } from "../render/comparison-table.js";

export function useColor(stream: NodeJS.WriteStream, flag: boolean | undefined): boolean {
  if (flag === false || process.env.NO_COLOR !== undefined) return false;
  return Boolean(stream.isTTY);
}

/**
 * Writes `--json` (a path checked with checkOutputPath before the run, or "-" for stdout) and prints
 * the table (on `human`, default stdout) unless stdout carries JSON. Returns the exit code.
 */
export function finish(doc: ResultDocument, options: { json?: string | undefined; color?: boolean | undefined; human?: NodeJS.WriteStream }): number {
  const text = JSON.stringify(doc, null, 2) + "\n";
  if (options.json === STDOUT) process.stdout.write(text);
  else {
    if (options.json) writeOutput("--json", options.json, text);
    const human = options.human ?? process.stdout;
    human.write(renderComparison(doc, { color: useColor(human, options.color) }) + "\n");
    if (options.json) process.stderr.write(`result written to ${options.json}\n`);
  }
  if (!doc.ok) {
    for (const strategy of doc.strategies) {
      for (const check of strategy.checks.filter((c) => !c.ok)) process.stderr.write(`invariant broken (${strategy.strategy}): ${check.name}: ${check.detail}\n`);
    }
    // The command that produced the document, as the document records it: the scenario as given
    // (a file path stays a path), the seed, the strategies; a real run is reproduced by running it again.
    process.stderr.write(`reproduce: ${doc.reproduce}\n`);
    return EXIT.invariantBroken;
  }
  return EXIT.ok;
}
