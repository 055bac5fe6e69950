// The project's own seeded PRNG (sfc32, seeded through cyrb128). Owned, not imported, so its output
// is pinned by a golden-value test and never changes under a dependency upgrade. Easy to get wrong:
// `fork(name)` derives the child from the *root seed and the name path*, not from the parent's current
// state — adding one draw in one component must not shift any other component's stream.

import type { Random } from "./ports.js";

function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

export class Prng implements Random {
  readonly path: string;
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number | string, path = String(seed)) {
    this.path = path;
    [this.a, this.b, this.c, this.d] = cyrb128(path);
    // Warm up: the first outputs of sfc32 from a fresh state are weakly mixed.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** An independent named stream: same root seed + same name path → same stream, always. */
  fork(name: string): Prng {
    return new Prng(0, `${this.path}/${name}`);
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  chance(probability: number): boolean {
    return probability > 0 && this.next() < probability;
  }
}

/** Exponential variate with the given mean (inverse transform). */
export function exponential(random: Random, mean: number): number {
  return -Math.log(1 - random.next()) * mean;
}

/** Standard normal variate (Box–Muller; one draw pair per call keeps streams simple). */
export function standardNormal(random: Random): number {
  const u1 = 1 - random.next();
  const u2 = random.next();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
