// bench/k6/flash-sale.js must load on the oldest k6 docs/k6.md asks for ("Needs `k6` (≥ 0.50)").
// tsc and Node accept syntax that k6's JavaScript runtime took years to learn, so nothing else would
// notice a script that no longer parses there. Only features whose first k6 version the k6 release notes
// state are checked (don't guess the rest):
// - k6 v0.54.0 ("Sobek updates brings support of new ECMAScript features"): numeric literal separators
//   (1_000), BigInt, the RegExp dotAll flag (/…/s), the ES2023 Array methods with / toSpliced /
//   toReversed / toSorted.
// - k6 v0.53.0 ("Native ESM support"): before it, k6 passed every script with import/export (this one)
//   through its internal Babel, which does not parse object spread, optional chaining or private class
//   fields (grafana/k6#824, #2168, #2887); v0.53.0 made them work ("asterisk free") — and says top-level
//   await and dynamic import are still not implemented in it.

import { readFileSync } from "node:fs";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = new URL("../../../", import.meta.url);

/** A k6 version as [major, minor]. */
type Version = readonly [number, number];
const newer = (a: Version, b: Version) => a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);

interface Finding {
  readonly feature: string;
  /** The newest k6 version known not to take it: the script's minimum must be newer. */
  readonly unsupportedThrough: Version;
  readonly line: number;
  readonly text: string;
}

const CHANGE_BY_COPY = new Set(["with", "toSpliced", "toReversed", "toSorted"]);

/** The syntax (and the few built-ins) in `source` that some k6 release is known not to take. */
function k6SyntaxFindings(source: string, fileName = "script.js"): Finding[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const findings: Finding[] = [];
  const add = (node: ts.Node, feature: string, unsupportedThrough: Version) =>
    findings.push({ feature, unsupportedThrough, line: file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1, text: node.getText(file).slice(0, 60) });
  const insideFunction = (node: ts.Node) => {
    for (let at = node.parent; at !== undefined; at = at.parent) if (ts.isFunctionLike(at)) return true;
    return false;
  };
  const visit = (node: ts.Node): void => {
    if (ts.isNumericLiteral(node) && node.getText(file).includes("_")) add(node, "numeric literal separator (k6 ≥ 0.54)", [0, 53]);
    if (node.kind === ts.SyntaxKind.BigIntLiteral) add(node, "BigInt literal (k6 ≥ 0.54)", [0, 53]);
    if (ts.isCallExpression(node) && node.expression.getText(file) === "BigInt") add(node, "BigInt (k6 ≥ 0.54)", [0, 53]);
    if (ts.isRegularExpressionLiteral(node) && /\/[a-z]*s[a-z]*$/.test(node.text)) add(node, "RegExp dotAll flag /s (k6 ≥ 0.54)", [0, 53]);
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && CHANGE_BY_COPY.has(node.expression.name.text)) {
      add(node, `Array.prototype.${node.expression.name.text} (k6 ≥ 0.54)`, [0, 53]);
    }
    if (ts.isSpreadAssignment(node)) add(node, "object spread {...x} in an ES module (k6 ≥ 0.53)", [0, 52]);
    if ((ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node) || ts.isCallExpression(node)) && node.questionDotToken !== undefined) {
      add(node, "optional chaining ?. in an ES module (k6 ≥ 0.53)", [0, 52]);
    }
    if (ts.isPrivateIdentifier(node)) add(node, "private class member #x in an ES module (k6 ≥ 0.53)", [0, 52]);
    if (ts.isAwaitExpression(node) && !insideFunction(node)) add(node, "top-level await (not in k6 ≤ 0.53)", [0, 53]);
    if (ts.isForOfStatement(node) && node.awaitModifier !== undefined && !insideFunction(node)) add(node, "top-level for await (not in k6 ≤ 0.53)", [0, 53]);
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node, "dynamic import() (not in k6 ≤ 0.53)", [0, 53]);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return findings;
}

/** The minimum docs/k6.md states for the script. */
function documentedMinimum(): Version {
  const docs = readFileSync(new URL("docs/k6.md", root), "utf8");
  const match = /Needs `k6` \(≥ (\d+)\.(\d+)\)/.exec(docs);
  if (!match) throw new Error("docs/k6.md no longer says which k6 the script needs (Needs `k6` (≥ x.y))");
  return [Number(match[1]), Number(match[2])];
}

describe("bench/k6/flash-sale.js loads on the k6 docs/k6.md asks for", () => {
  it("uses no syntax newer than the documented minimum k6 (numeric separators, object spread, ?. … per the k6 release notes)", () => {
    const minimum = documentedMinimum();
    expect(minimum).toEqual([0, 50]);
    const source = readFileSync(new URL("bench/k6/flash-sale.js", root), "utf8");
    const tooNew = k6SyntaxFindings(source, "flash-sale.js")
      .filter((f) => !newer(minimum, f.unsupportedThrough))
      .map((f) => `line ${f.line}: ${f.feature}: ${f.text}`);
    expect(tooNew, `docs/k6.md says k6 ≥ ${minimum.join(".")}`).toEqual([]);
  });

  it("the check finds each feature it knows (and nothing in comments, strings or older syntax)", () => {
    const features = (source: string) => k6SyntaxFindings(source).map((f) => f.feature.replace(/ \(.*$/, ""));
    expect(features("const a = 3_600_000;")).toEqual(["numeric literal separator"]);
    expect(features("const a = 10n; const b = BigInt(1);")).toEqual(["BigInt literal", "BigInt"]);
    expect(features("const r = /a.b/s; const ok = /a.b/gi;")).toEqual(["RegExp dotAll flag /s"]);
    expect(features("[3, 1].toSorted(); [1].with(0, 2); [1].toReversed(); [1].toSpliced(0, 1);")).toHaveLength(4);
    expect(features("const o = { a: 1, ...(x ? { b: 2 } : {}) };")).toEqual(["object spread {...x} in an ES module"]);
    expect(features("const v = a?.b; const w = a?.[0]; const x = f?.();")).toEqual(Array.from({ length: 3 }, () => "optional chaining ?. in an ES module"));
    expect(features("class C { #n = 1; get() { return this.#n; } }")).toEqual(["private class member #x in an ES module", "private class member #x in an ES module"]);
    expect(features("const m = await load(); async function f() { await g(); }")).toEqual(["top-level await"]);
    expect(features("const m = import('./x.js');")).toEqual(["dynamic import()"]);
    // What k6 0.50 takes: array spread, destructuring, template literals, exponent, 60000 in a comment or string.
    expect(features("// 3_600_000\nconst s = '1_000'; const a = [...b]; const [c, d] = a; const t = `${c}`; const e = 2 ** 3; const n = 60000; const re = /(?!s)x/;")).toEqual([]);
  });
});
