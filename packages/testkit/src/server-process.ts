// Private server processes for integration tests and benchmarks: the one implementation lives in
// @synclag/server-process (a runtime package, shared with @synclag/service); testkit re-exports it and
// adds the test policy. Easy to get wrong: a missing binary is a skip only outside CI — under CI=true
// the caller fails, so a misconfigured CI machine cannot pass by skipping every server test.

import { MissingBinaryError, hasBinary } from "@synclag/server-process";

export { MissingBinaryError, ServerProcess, freePort, hasBinary } from "@synclag/server-process";
export type { ServerProcessOptions } from "@synclag/server-process";

/**
 * For tests: returns a reason to skip when the binary is missing outside CI; throws under CI=true
 * (a missing server in CI is a failure, not a skip).
 */
export function requireBinary(binary: string, debianPackage: string): string | undefined {
  if (hasBinary(binary)) return undefined;
  const error = new MissingBinaryError(binary, debianPackage);
  if (process.env.CI === "true") throw error;
  return error.message;
}
