// A .json file with a comment gets one message that says comments are not JSON, with where the comment
// is — not the YAML parser's "Implicit keys need to be on a single line", which it raised first.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { loadScenario } from "./load-scenario.js";

it("a // comment in a .json file is explained as a comment, not as a YAML implicit-key error", () => {
  const dir = mkdtempSync(join(tmpdir(), "synclag-jsonc-"));
  const minimal = { name: "t", duration: "2h", catalog: { skus: 5, stock: 10 }, channels: [{ id: "a", kind: "amazon", share: 1 }], demand: { ordersPerDay: 500 } };
  for (const [name, text] of [
    ["line.json", `// client X, 2026 sale\n${JSON.stringify(minimal, null, 2)}`],
    ["block.json", `/* client X */\n${JSON.stringify(minimal, null, 2)}`],
  ] as const) {
    const path = join(dir, name);
    writeFileSync(path, text);
    const loaded = loadScenario(path);
    expect(loaded.ok ? [] : loaded.problems, name).toEqual([expect.stringMatching(/comments/)]);
  }
});

it("says where the first comment is, how many there are, and what to do instead: `.yaml` only for #, which is YAML's comment", () => {
  const dir = mkdtempSync(join(tmpdir(), "synclag-jsonc-"));
  // "https://…" and "#b" inside strings are no comments.
  const text = JSON.stringify({ name: "t", description: "see https://x.example/a#b", duration: "2h", catalog: { skus: 5, stock: 10 }, channels: [{ id: "a", kind: "amazon", share: 1 }], demand: { ordersPerDay: 500 } }, null, 2);
  const problemOf = (name: string, body: string) => {
    writeFileSync(join(dir, name), body);
    const loaded = loadScenario(join(dir, name));
    return loaded.ok ? [] : loaded.problems;
  };
  const slashes = problemOf("two.json", text.replace('"duration": "2h",', '"duration": "2h", // two hours\n  /* x */'));
  expect(slashes).toEqual([expect.stringContaining('is not valid JSON: a comment at line 4, column 21, "// two hours" (and 1 more): JSON has no comments')]);
  expect(slashes[0]).toContain('"x-note"');
  expect(slashes[0]).not.toContain("name the file .yaml");
  const hash = problemOf("hash.json", text.replace('"2h",', '"2h", # two hours'));
  expect(hash).toEqual([expect.stringMatching(/is not valid JSON: a comment at line 4, column 21, "# two hours": JSON has no comments .*name the file \.yaml, where # starts a comment$/)]);
  // A byte-order mark is not a column.
  expect(problemOf("bom.json", `\uFEFF/* client X */\n${text}`)).toEqual([expect.stringContaining("a comment at line 1, column 1,")]);
});
