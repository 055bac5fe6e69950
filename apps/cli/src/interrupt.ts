// Ctrl-C / SIGTERM for the commands that start servers (`synclag run`, `synclag gate --real`): the
// first signal aborts the work, which then stops its private servers and removes their temp dirs.
// Easy to get wrong: the handlers stay installed until the work has returned — a second signal (an
// impatient Ctrl-C, a supervisor that sends SIGTERM twice) must not fall back to Node's default and
// kill the process mid-cleanup, orphaning the servers. And once a command has failed for good, a handle
// someone leaked (a socket a library never closed) must not keep the process alive: `exitSoon`.

/** Exit code of a command stopped by SIGINT/SIGTERM (after its cleanup). */
export const EXIT_INTERRUPTED = 130;

export interface Interruption {
  /** Aborted at the first SIGINT/SIGTERM: give it to the work (`runReal({ signal })`). */
  readonly signal: AbortSignal;
  /** Removes the handlers: call once the work and its cleanup have finished (in a `finally`). */
  dispose(): void;
}

/**
 * Installs SIGINT/SIGTERM handlers that abort `signal` and say so on `stream`, prefixed with `command`
 * (`run: SIGINT: stopping and cleaning up`); a second signal only says that cleanup is under way.
 */
export function interruptOnSignals(command: string, stream: NodeJS.WritableStream = process.stderr): Interruption {
  const controller = new AbortController();
  const interrupt = (signal: NodeJS.Signals) => {
    stream.write(controller.signal.aborted ? `${command}: ${signal}: already stopping — the private servers are being stopped\n` : `${command}: ${signal}: stopping and cleaning up\n`);
    controller.abort();
  };
  process.on("SIGINT", interrupt);
  process.on("SIGTERM", interrupt);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off("SIGINT", interrupt);
      process.off("SIGTERM", interrupt);
    },
  };
}

/** How long a failed command may take to end on its own before `exitSoon` ends it, ms. */
const EXIT_GRACE_MS = 2_000;

/**
 * Sets the exit code and makes sure the process ends: normally it does as soon as the event loop is
 * empty; if a leaked handle keeps it alive, it exits `graceMs` later (the timer itself holds nothing).
 * For failures after which nothing is left to do (an environment error, exit 4): its message must be
 * written (stderr is synchronous for files, pipes and terminals) before calling this.
 */
export function exitSoon(code: number, graceMs: number = EXIT_GRACE_MS): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), graceMs).unref();
}

/**
 * After SIGINT/SIGTERM aborted a real run, whatever the run then threw (a server the terminal's Ctrl-C
 * also stopped, a client closed under it) or returned is not a result: say it was interrupted — with
 * the error that ended it, if any — and exit 130. Nothing is written.
 */
export function exitInterrupted(command: string, error?: unknown, stream: NodeJS.WritableStream = process.stderr): void {
  const message = error === undefined ? "" : error instanceof Error ? error.message : String(error);
  // The run's own word for it ("interrupted: the run was stopped before it finished …") says it all.
  if (message.startsWith("interrupted")) stream.write(`synclag ${command}: ${message}\n`);
  else stream.write(`synclag ${command}: interrupted${message === "" ? "" : ` (${message})`}; its private servers were stopped, nothing written\n`);
  exitSoon(EXIT_INTERRUPTED);
}
