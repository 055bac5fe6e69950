// synclag CLI — composition root. Each command lives in its own module; this file wires them, turns
// usage errors into one readable message and exit code 2, and never prints a stack for user mistakes.

import { Command, CommanderError } from "commander";
import { EXIT, UsageError, formatUsageError } from "./cli-error.js";
import { compareCommand } from "./commands/compare.js";
import { scenariosCommand } from "./commands/scenarios.js";
import { simulateCommand } from "./commands/simulate.js";
import { marketplacesCommand } from "./commands/marketplaces.js";
import { gateCommand } from "./commands/gate.js";
import { reportCommand } from "./commands/report.js";
import { demoCommand } from "./commands/demo.js";
import { engineCommand } from "./commands/engine.js";
import { runCommand } from "./commands/run.js";
import { collectParseProblems, runningCommandPath, throwUnlistedParseProblems } from "./parse-problems.js";

// A closed pipe (`synclag compare | head`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const program = new Command("synclag")
  .description("Make inventory sync lag visible, measurable and gateable — and compare polling against the event-driven engine.")
  .version("0.1.0")
  .showHelpAfterError("(add --help for usage)")
  .addHelpText("after", "\nA flag is given once unless its help says repeatable (twice is a usage error).\nExit codes: 0 ok · 1 a gate threshold failed · 2 bad input · 3 an invariant checker failed · 4 missing server/binary");

for (const command of [compareCommand(), simulateCommand(), scenariosCommand(), gateCommand(), reportCommand(), demoCommand(), marketplacesCommand(), engineCommand(), runCommand()]) {
  if (command) program.addCommand(command);
}

// Every command, however deeply nested (`scenarios show`): exit 2 for usage errors, all of them listed at once.
collectParseProblems(program);

try {
  await program.parseAsync(process.argv);
  throwUnlistedParseProblems();
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version exit 0; everything else commander rejects is a usage error (it printed it).
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else if (error instanceof UsageError) {
    const name = runningCommandPath() ?? process.argv.slice(2).find((arg) => !arg.startsWith("-")) ?? "";
    process.stderr.write(formatUsageError(error, name) + "\n");
    process.exitCode = EXIT.usage;
  } else {
    throw error;
  }
}
