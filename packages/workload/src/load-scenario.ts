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
  const json = text.startsWith("\uFEFF") ? text.slice(1) : text;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    // Comments first: the YAML parser reads `// note` or `/* note */` as a plain scalar and reports an
    // implicit-key error about it, which never says "comment".
    const comments = jsonComments(json);
    if (comments.length > 0) throw new Error(commentProblem(json, comments), { cause: error });
    // JSON.parse rarely says where; the YAML parser does, for every error the two share.
    parseYaml(text, JSON_DUPLICATE_CHECK);
    throw new Error(`${withLineAndColumn((error as Error).message, json)} (single quotes, trailing commas and other YAML-only syntax are not JSON: name the file .yaml to use them)`, { cause: error });
  }
  parseYaml(text, JSON_DUPLICATE_CHECK);
  return value;
}

/** A comment in a .json file: where it starts (UTF-16 offset) and its first line, as written. */
interface JsonComment {
  readonly offset: number;
  readonly text: string;
}

/**
 * The `//`, `/* … *\/` and `#` comments outside string literals, in order. Easy to get wrong: a
 * string is skipped to its closing quote, escapes included, so `"https://…"` is no comment; JSON
 * strings never span lines, so an unclosed one ends at its line rather than hiding the rest.
 */
function jsonComments(text: string): JsonComment[] {
  const found: JsonComment[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index];
    if (char === '"') {
      index++;
      while (index < text.length && text[index] !== '"' && text[index] !== "\n") index += text[index] === "\\" ? 2 : 1;
      index++;
      continue;
    }
    const block = char === "/" && text[index + 1] === "*";
    if (block || char === "#" || (char === "/" && text[index + 1] === "/")) {
      const end = block ? text.indexOf("*/", index + 2) : text.indexOf("\n", index);
      const stop = end === -1 ? text.length : block ? end + 2 : end;
      const firstLine = (text.slice(index, stop).split("\n")[0] ?? "").trim();
      found.push({ offset: index, text: firstLine.length > 40 ? `${firstLine.slice(0, 39)}…` : firstLine });
      index = stop;
      continue;
    }
    index++;
  }
  return found;
}

/** One message for every comment: where the first is, and what to do instead (YAML's comments are `#`, not `//`). */
function commentProblem(text: string, comments: readonly JsonComment[]): string {
  const first = comments[0] as JsonComment;
  const more = comments.length > 1 ? ` (and ${comments.length - 1} more)` : "";
  const yaml = first.text.startsWith("#") ? "or name the file .yaml, where # starts a comment" : "or write the file as YAML (.yaml), whose comments start with #, not // or /*";
  return `a comment at ${lineAndColumn(text, first.offset)}, ${JSON.stringify(first.text)}${more}: JSON has no comments — remove ${comments.length > 1 ? "them" : "it"}, keep the note in a top-level field starting with x- (ignored, e.g. "x-note": "…"), ${yaml}`;
}

/** "line L, column C" (both from 1, as the YAML parser counts them) of a UTF-16 offset in `text`. */
function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return `line ${line}, column ${offset - before.lastIndexOf("\n")}`;
}

/** JSON.parse's "at position 7" with its line and column, unless the runtime already gave them (Node 22 does). */
function withLineAndColumn(message: string, text: string): string {
  const match = /at position (\d+)/.exec(message);
  if (match === null || /\bline\b/.test(message)) return message;
  return `${message} (${lineAndColumn(text, Number(match[1]))})`;
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
