// Helpers the configuration tests share (test-only: imported by src/config*.test.ts).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ServiceError } from "./errors.js";

/** The problems a configuration load refused with (none when it loaded); any other error is thrown. */
export function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ServiceError) return error.problems;
    throw error;
  }
  return [];
}

/** Writes `text` to a file called `name` in a fresh temp directory; returns its path. */
export function file(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "synclag-config-")), name);
  writeFileSync(path, text);
  return path;
}
