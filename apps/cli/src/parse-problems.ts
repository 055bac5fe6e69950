// Commander stops at the first problem it finds in the flags (an unknown option, a missing required
// one, an option without its value) and exits 1 unless every command in the tree has exitOverride.
// This collects them instead, on every command however deeply nested, so a command's action can list
// them together with the problems it finds in the values (`--seed abc`) — one message, exit 2.
// Commands whose action does not list them (listsParseProblems not called) get commander's problems
// alone, still as one message, before their action runs.
// Easy to get wrong: after a collected problem commander carries on, so an action must expect a
// required option or argument to be undefined; an option given without its value is reset to its
// default so its (empty) value is not reported a second time.
// An option that takes a value, given twice, is a problem too (commander keeps the last value without a
// word: `--json a --json b` wrote b only) — unless its parser is marked repeatable(), which then sees
// every value. Every spelling counts (`--seed 1`, `--seed=2`, a short alias): each occurrence is one of
// commander's `option:<name>` events, emitted as it reads the command line (so a value that looks like
// a flag, `--json --seed`, is --json's value, as commander takes it). A flag without a value
// (`--no-color`) loses nothing when repeated and is not counted.

import type { Command, Option } from "commander";
import { redactChannelSpec } from "@synclag/service/config-helpers";
import { UsageError } from "./cli-error.js";

/** Commander's error codes for problems in what the user typed; anything else is raised as before. */
const COLLECTED = new Set([
  "commander.unknownOption",
  "commander.missingMandatoryOptionValue",
  "commander.optionMissingArgument",
  "commander.missingArgument",
  "commander.excessArguments",
  "commander.invalidArgument",
  "commander.conflictingOption",
]);

interface State {
  readonly command: Command;
  readonly problems: string[];
  /** Options given without their value: reset to their default once parsing is done. */
  readonly missingValue: Option[];
  /** Where the first unknown option sits in command.args: everything from there on is unknown to commander. */
  unknownStart?: number;
  listed: boolean;
  /** The values each single-valued option was given on the command line, in order. */
  readonly given: Map<Option, string[]>;
  /** Options given more than once have been added to `problems`. */
  repeatsListed: boolean;
}

/** The parts of commander's Command (14.x) that are not in its typings: one report per unknown flag. */
interface CommandInternals {
  unknownOption?(flag: string): void;
  optionMissingArgument?(option: Option): void;
}

const states: State[] = [];
const listing = new WeakSet<Command>();
const repeatableParsers = new WeakSet<object>();
let running: Command | undefined;

/**
 * Marks an option's parser as accumulating: the option may be given more than once (say so in its
 * help), and the parser receives every value with what the earlier ones made. Commander calls it with
 * `undefined` for an occurrence without its value (already a collected problem): keep `previous` then.
 * Every other option that takes a value may be given once.
 */
export function repeatable<T>(parser: (value: string | undefined, previous: T) => T): (value: string, previous: T) => T {
  repeatableParsers.add(parser);
  return parser;
}

/** Marks a command whose action lists parseProblems(command) together with its own problems. */
export function listsParseProblems<T extends Command>(command: T): T {
  listing.add(command);
  return command;
}

/** The problems commander found in this command's flags and arguments: start the action's list with them. */
export function parseProblems(command: Command): string[] {
  const state = states.find((s) => s.command === command);
  if (!state) return [];
  state.listed = true;
  return [...state.problems];
}

/** "synclag scenarios show" → "scenarios show": the command that is running, for messages. */
export function runningCommandPath(): string | undefined {
  const names: string[] = [];
  for (let command = running; command?.parent; command = command.parent) names.unshift(command.name());
  return names.length > 0 ? names.join(" ") : undefined;
}

/** Applies to `root` and every command below it (add the commands first). */
export function collectParseProblems(root: Command): void {
  const visit = (command: Command) => {
    command.exitOverride();
    if (command.parent) intercept(command);
    for (const sub of command.commands) visit(sub);
  };
  visit(root);
  root.hook("preAction", (_root, action) => {
    running = action;
    const state = states.find((s) => s.command === action);
    if (!state) return;
    listRepeats(state);
    for (const option of state.missingValue) action.setOptionValueWithSource(option.attributeName(), option.defaultValue, "default");
    // Commander filled the arguments from the unknown words as well (`show --bogus` → name "--bogus").
    if (state.unknownStart !== undefined) {
      action.registeredArguments.forEach((argument, index) => {
        if (index < (state.unknownStart ?? 0)) return;
        action.processedArgs[index] = argument.defaultValue;
        if (argument.required) state.problems.push(`missing required argument '${argument.name()}'`);
      });
    }
    if (state.problems.length > 0 && !listing.has(action)) {
      state.listed = true;
      throw new UsageError(state.problems);
    }
  });
}

/** After parsing: problems no action listed (a command without one) are still a usage error. */
export function throwUnlistedParseProblems(): void {
  for (const each of states) listRepeats(each);
  const state = states.find((s) => !s.listed && s.problems.length > 0);
  if (!state) return;
  running = state.command;
  state.listed = true;
  throw new UsageError(state.problems);
}

function intercept(command: Command): void {
  const state: State = { command, problems: [], missingValue: [], listed: false, given: new Map(), repeatsListed: false };
  states.push(state);
  for (const option of command.options) {
    if (!(option.required || option.optional) || option.variadic || (option.parseArg !== undefined && repeatableParsers.has(option.parseArg))) continue;
    const values: string[] = [];
    state.given.set(option, values);
    // Commander's own listener (registered with the option) has set the value already; this one counts.
    // No value (`--seed` last: a collected problem; `[optional]` without one): nothing to lose.
    command.on(`option:${option.name()}`, (value: string | null | undefined) => {
      if (typeof value === "string") values.push(value);
    });
  }
  const raise = command.error.bind(command);
  command.error = ((message: string, options?: { code?: string; exitCode?: number }) => {
    if (!COLLECTED.has(options?.code ?? "")) return raise(message, options);
    if (options?.code === "commander.excessArguments" && state.unknownStart !== undefined) {
      // Commander counts the unknown options (and their values) as arguments too.
      const expected = command.registeredArguments.length;
      if (state.unknownStart > expected) state.problems.push(`too many arguments for '${command.name()}': ${command.args.slice(expected, state.unknownStart).join(" ")}`);
      return undefined as never;
    }
    state.problems.push(message.replace(/^error: /, "").replace(/\s*\n\s*/g, " "));
    return undefined as never;
  }) as Command["error"];

  const internals = command as unknown as CommandInternals;
  const reportUnknown = internals.unknownOption?.bind(command);
  // Commander names the first unknown option only: everything after it is "unknown" to it as well.
  if (reportUnknown) {
    internals.unknownOption = (flag: string) => {
      const start = command.args.indexOf(flag);
      if (start >= 0) state.unknownStart = start;
      for (const each of start < 0 ? [flag] : unknownFlags(command.args.slice(start))) reportUnknown(each);
    };
  }
  const reportMissing = internals.optionMissingArgument?.bind(command);
  if (reportMissing) {
    internals.optionMissingArgument = (option: Option) => {
      state.missingValue.push(option);
      reportMissing(option);
    };
  }
}

/** The option-like words among commander's unknown arguments (up to a literal --; not negative numbers). */
function unknownFlags(unknown: readonly string[]): string[] {
  const end = unknown.indexOf("--");
  return (end < 0 ? unknown : unknown.slice(0, end)).filter((arg) => arg.length > 1 && arg.startsWith("-") && !/^-\.?\d/.test(arg));
}

/** "--json given twice (a.json, b.json); give it once", for every single-valued option given more than once. */
function listRepeats(state: State): void {
  if (state.repeatsListed) return;
  state.repeatsListed = true;
  for (const [option, values] of state.given) {
    if (values.length < 2) continue;
    const times = values.length === 2 ? "twice" : `${values.length} times`;
    state.problems.push(`${option.long ?? option.flags} given ${times} (${values.map(shownValue).join(", ")}); give it once`);
  }
}

/** A value as the user typed it, credentials redacted (it lands in CI logs), quoted when it would not read as one word. */
function shownValue(value: string): string {
  const redacted = redactChannelSpec(value);
  return redacted === "" || /[\s,;()"'`]/.test(redacted) ? JSON.stringify(redacted) : redacted;
}
