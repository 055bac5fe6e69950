// Output files (--json, --out, --junit, --summary): checked before anything runs, written afterwards,
// both through here. Easy to get wrong: a long run (or a real one) whose result is lost because the
// directory it was told to write into does not exist — so every output path is checked up front
// (directory exists and is writable, or the file itself is) without creating the file early, and a
// write that still fails is a one-line usage error, never a stack trace.

import { accessSync, constants, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { UsageError } from "./cli-error.js";

/** "-" as an output path: stdout. */
export const STDOUT = "-";

/**
 * Whether `path` can be written, as a problem for `flag` if not. `undefined` (flag not given) and "-"
 * (stdout) are fine. Nothing is created.
 */
export function checkOutputPath(flag: string, path: string | undefined, problems: string[]): void {
  if (path === undefined || path === STDOUT) return;
  if (path.trim() === "") {
    problems.push(`${flag}: the file name is empty (an unset variable, e.g. $GITHUB_STEP_SUMMARY outside GitHub Actions?): give a file, or - for stdout`);
    return;
  }
  const cannot = (why: string) => problems.push(`${flag}: cannot write ${path}: ${why}`);
  try {
    const file = statSync(path, { throwIfNoEntry: false });
    if (file) {
      if (file.isDirectory()) cannot("it is a directory");
      else accessSync(path, constants.W_OK);
      return;
    }
    const dir = dirname(resolve(path));
    const parent = statSync(dir, { throwIfNoEntry: false });
    if (!parent) cannot(`directory ${dir} does not exist`);
    else if (!parent.isDirectory()) cannot(`${dir} is not a directory`);
    else accessSync(dir, constants.W_OK);
  } catch (error) {
    cannot(errorCode(error));
  }
}

/** Writes an output file checked with checkOutputPath; a failure is a one-line usage error (exit 2). */
export function writeOutput(flag: string, path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (error) {
    throw new UsageError([`${flag}: cannot write ${path}: ${errorCode(error)}`]);
  }
}

function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOTDIR") return "part of the path is not a directory (ENOTDIR)";
  if (code === "EACCES" || code === "EPERM") return `permission denied (${code})`;
  return code ?? (error as Error).message;
}
