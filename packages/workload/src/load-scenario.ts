// Loads a scenario by built-in name or file path (JSON or YAML) and validates it, returning every
// problem at once with its path — or the parsed scenario with all defaults filled in.

import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { BUILTIN_SCENARIOS } from "./builtins.js";
import { scenarioSchema, type Scenario } from "./scenario-schema.js";

/**
 * The scenario with every default filled in, or every problem with its path. A file that parsed but
 * did not validate keeps its parsed `value`, so a caller can still check what the schema leaves to it
 * (the gate's `thresholds:`) and list those problems beside the schema's.
 */
export type LoadResult = { ok: true; scenario: Scenario; source: string } | { ok: false; problems: string[]; source: string; value?: unknown };

export function validateScenario(value: unknown, source: string): LoadResult {
  const parsed = scenarioSchema.safeParse(value);
  if (parsed.success) return { ok: true, scenario: parsed.data, source };
  return { ok: false, source, value, problems: parsed.error.issues.flatMap((issue) => describeIssue(issue, [])) };
}

/** Why a file cannot be read, in words ("no such file"), the code kept for searching. */
export function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return "no such file (ENOENT)";
    case "EISDIR":
      return "it is a directory, not a file (EISDIR)";
    case "ENOTDIR":
      return "part of the path is not a directory (ENOTDIR)";
    case "EACCES":
    case "EPERM":
      return `permission denied (${code})`;
    default:
      return code ?? (error as Error).message;
  }
}

/**
 * "path: message" lines for one issue. A union (`stock: 5 | { min, max }`, `orderImport: "push" | { poll }`)
 * whose input has the shape of exactly one branch reports that branch's problems with their paths,
 * not zod's bare "Invalid input".
 */
function describeIssue(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[]): string[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === "invalid_union") {
    const shapeMatches = issue.errors.filter((branch) => !branch.some((i) => i.path.length === 0 && (i.code === "invalid_type" || i.code === "invalid_value")));
    if (shapeMatches.length === 1) return (shapeMatches[0] as z.core.$ZodIssue[]).flatMap((i) => describeIssue(i, path));
  }
  return [`${path.length ? path.map(String).join(".") : "(root)"}: ${issue.message}`];
}

/** YAML files: `<<: *anchor` merge keys are understood (explicit keys win); a key given twice is refused. */
const YAML_OPTIONS = { merge: true } as const;
/**
 * JSON files, read by the YAML parser with its JSON schema (JSON is YAML 1.2): a key given twice is
 * refused with its line and column, as in a YAML file, where JSON.parse silently kept the last one.
 * Plain (unquoted) YAML scalars are refused, so a .json file must still be JSON.
 */
const JSON_OPTIONS = { schema: "json" } as const;

export function loadScenario(nameOrPath: string): LoadResult {
  const builtin = BUILTIN_SCENARIOS[nameOrPath];
  if (builtin) return validateScenario(builtin, `built-in ${nameOrPath}`);
  if (!/[./\\]/.test(nameOrPath)) {
    return { ok: false, source: nameOrPath, problems: [`unknown scenario ${JSON.stringify(nameOrPath)}: built-ins are ${Object.keys(BUILTIN_SCENARIOS).join(", ")}; or give a .json/.yaml file path`] };
  }
  let text: string;
  try {
    text = readFileSync(nameOrPath, "utf8");
  } catch (error) {
    return { ok: false, source: nameOrPath, problems: [`cannot read ${nameOrPath}: ${describeReadError(error)}`] };
  }
  const yaml = /\.ya?ml$/i.test(nameOrPath);
  let value: unknown;
  try {
    value = parseYaml(text, yaml ? YAML_OPTIONS : JSON_OPTIONS);
  } catch (error) {
    return { ok: false, source: nameOrPath, problems: [`${nameOrPath} is not valid ${yaml ? "YAML" : "JSON"}: ${(error as Error).message}`] };
  }
  return validateScenario(value, nameOrPath);
}
