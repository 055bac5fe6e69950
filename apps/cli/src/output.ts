// Output files (--json, --out, --junit, --summary): checked before anything runs, written afterwards,
// both through here. Easy to get wrong: a long run (or a real one) whose result is lost because the
// directory it was told to write into does not exist — so every output path is checked up front
// (directory exists and is writable, or the file itself is) without creating the file early, and a
// write that still fails is a one-line usage error, never a stack trace.

import { accessSync, constants, realpathSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { describeReadError } from "@synclag/workload";
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
  return describeReadError(error);
}

/**
 * Two outputs (or an output and an input) that are the same file: the later write would silently
 * replace the earlier one, so it is refused like two `-`. Paths are compared resolved (`./x`, `x`,
 * `$PWD/x`, and through symbolic links where the file or its directory exists). `inputs` are files the
 * command reads (`--result`, a scenario file): writing over them loses the input.
 */
export function checkDistinctOutputs(outputs: ReadonlyArray<readonly [flag: string, path: string | undefined]>, problems: string[], inputs: ReadonlyArray<readonly [what: string, path: string | undefined]> = []): void {
  const given = (path: string | undefined): path is string => path !== undefined && path !== STDOUT && path.trim() !== "";
  const groups = new Map<string, { readonly path: string; readonly flags: string[]; input?: string }>();
  for (const [flag, path] of outputs) {
    if (!given(path)) continue;
    const key = samePathKey(path);
    const group = groups.get(key) ?? { path, flags: [] };
    group.flags.push(flag);
    groups.set(key, group);
  }
  for (const [what, path] of inputs) {
    const group = given(path) ? groups.get(samePathKey(path)) : undefined;
    if (group) group.input ??= what;
  }
  for (const { path, flags, input } of groups.values()) {
    if (input !== undefined) problems.push(`${flags.join(" and ")}: ${path} is ${input}, which this command reads: writing it would destroy the input — give another file`);
    else if (flags.length > 1) problems.push(`${listed(flags)} ${flags.length === 2 ? "both" : "all"} write ${path}: one would overwrite the other — give each output its own file`);
  }
}

function listed(items: readonly string[]): string {
  return items.length <= 2 ? items.join(" and ") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1] ?? ""}`;
}

/** The resolved path, through symbolic links where the file (or else its directory) exists. */
function samePathKey(path: string): string {
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    try {
      return join(realpathSync(dirname(absolute)), basename(absolute));
    } catch {
      return absolute;
    }
  }
}
