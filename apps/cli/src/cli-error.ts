// Exit codes and the one error type the CLI turns into a readable message. Exit codes are part of
// the CLI's contract (CI pipelines branch on them), documented in --help and the README.

export const EXIT = {
  /** Everything ran; every check and threshold passed. */
  ok: 0,
  /** A gate threshold failed. */
  thresholdFailed: 1,
  /** `run`: the load generator dropped arrivals (as synclag-loadgen): the run measured its limits. */
  arrivalsDropped: 1,
  /** Bad flags, a bad scenario or result file: nothing ran. */
  usage: 2,
  /** The run finished but an invariant checker failed (a `reproduce:` line is printed). */
  invariantBroken: 3,
  /** A required server or binary is missing or failed. */
  environment: 4,
} as const;

/** A problem with what the user asked for; every problem is listed at once. */
export class UsageError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "UsageError";
    this.problems = problems;
  }
}

export function formatUsageError(error: UsageError, command: string): string {
  const lines = error.problems.length === 1 ? [`synclag ${command}: ${error.problems[0]}`] : [`synclag ${command}: ${error.problems.length} problems:`, ...error.problems.map((p) => `  - ${p}`)];
  return `${lines.join("\n")}\nRun \`synclag ${command} --help\` for usage.`;
}
