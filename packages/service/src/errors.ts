// The one error type of the service boundary (configuration, servers, ingest, run orchestration).
// Easy to get wrong: `reason` decides the CLI's exit code (config → 2, environment → 4, aborted → 0), so pick the
// reason for what the *user* must fix, and always keep `cause`.

import { SynclagError } from "@synclag/core";

export type ServiceErrorReason =
  /** Bad configuration (flags, env, file): nothing started. */
  | "config"
  /** A server binary is missing, or NATS/Redis cannot be reached or started. */
  | "environment"
  /** A notification failed verification or normalisation (per request, never fatal). */
  | "ingest"
  /** Shutdown did not finish within its deadline. */
  | "shutdown"
  /** A stop was asked for (a signal) while the service was still starting: the start was abandoned, what had started stopped. */
  | "aborted"
  /** The run could not finish (load, convergence, ground truth). */
  | "run";

export class ServiceError extends SynclagError {
  declare readonly reason: ServiceErrorReason;
  /** Every problem found, for reasons that collect them (config). */
  readonly problems: readonly string[];
  constructor(reason: ServiceErrorReason, message: string, options?: { cause?: unknown; problems?: readonly string[] }) {
    super(reason, message, { cause: options?.cause, retryable: reason === "environment" });
    this.name = "ServiceError";
    this.problems = options?.problems ?? [message];
  }
}
