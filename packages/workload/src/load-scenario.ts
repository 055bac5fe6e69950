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
 * JSON files: JSON.parse decides what is JSON (no comments, single quotes or trailing commas — a file
 * other tools such as jq must read too); the YAML parser then only looks for a key given twice, which
 * JSON.parse silently resolves to the last one, and reports it with its line and column as in YAML.
 */
const JSON_DUPLICATE_CHECK = { schema: "json" } as const;

function parseJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text.startsWith("\uFEFF") ? text.slice(1) : text);
  } catch (error) {
    // JSON.parse rarely says where; the YAML parser does, for every error the two share.
    parseYaml(text, JSON_DUPLICATE_CHECK);
    throw new Error(`${(error as Error).message} (comments, single quotes, trailing commas and other YAML-only syntax are not JSON: name the file .yaml to use them)`, { cause: error });
  }
  parseYaml(text, JSON_DUPLICATE_CHECK);
  return value;
}

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
    value = yaml ? parseYaml(text, YAML_OPTIONS) : parseJson(text);
  } catch (error) {
    return { ok: false, source: nameOrPath, problems: [`${nameOrPath} is not valid ${yaml ? "YAML" : "JSON"}: ${(error as Error).message}`] };
  }
  return validateScenario(value, nameOrPath);
}
