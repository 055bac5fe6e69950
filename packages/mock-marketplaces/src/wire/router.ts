// A tiny method + path router shared by both shells. Patterns are literal segments and `:name`
// parameters; parameters are URL-decoded once here. Easy to get wrong: a SKU may contain `/`-free
// but %-encoded characters (spaces, `#`): decode per segment, never the whole path first.

import type { WireRequest, WireResult } from "./wire.js";

export type RouteHandler<C> = (context: C, request: WireRequest, params: Readonly<Record<string, string>>) => WireResult;

export interface Route<C> {
  readonly method: string;
  readonly pattern: string;
  readonly handler: RouteHandler<C>;
}

interface CompiledRoute<C> extends Route<C> {
  readonly segments: readonly string[];
}

export class Router<C> {
  /** Routes indexed by their first literal segment (most requests compare against a handful). */
  private readonly byFirstSegment = new Map<string, CompiledRoute<C>[]>();
  private readonly parameterFirst: CompiledRoute<C>[] = [];

  constructor(routes: readonly Route<C>[]) {
    for (const route of routes) {
      const compiled = { ...route, segments: splitPath(route.pattern) };
      const first = compiled.segments[0] ?? "";
      if (first.startsWith(":")) this.parameterFirst.push(compiled);
      else this.byFirstSegment.set(first, [...(this.byFirstSegment.get(first) ?? []), compiled]);
    }
  }

  /** The matching route and its parameters; `methodMismatch` when only the method differs (405). */
  match(method: string, path: string): { route: Route<C>; params: Record<string, string> } | { methodMismatch: boolean } {
    const parts = splitPath(path);
    let methodMismatch = false;
    const candidates = this.byFirstSegment.get(parts[0] ?? "") ?? [];
    for (const list of [candidates, this.parameterFirst]) {
      for (const route of list) {
        if (route.segments.length !== parts.length) continue;
        const params = matchSegments(route.segments, parts);
        if (!params) continue;
        if (route.method !== method) {
          methodMismatch = true;
          continue;
        }
        return { route, params };
      }
    }
    return { methodMismatch };
  }
}

function splitPath(path: string): string[] {
  const parts: string[] = [];
  for (const part of path.split("/")) if (part !== "") parts.push(part);
  return parts;
}

function matchSegments(segments: readonly string[], parts: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const segment = segments[i] as string;
    const part = parts[i] as string;
    if (segment.charCodeAt(0) === 58 /* ":" */) {
      try {
        params[segment.slice(1)] = decodeURIComponent(part);
      } catch {
        return undefined;
      }
    } else if (segment !== part) return undefined;
  }
  return params;
}
