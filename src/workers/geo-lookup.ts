import type { GeoNode } from "../domain/geo.ts";
import type { GeoFields } from "../storage/contact-pack.ts";

/** Region, city, time zone and carrier of a number (country comes from the parser). */
export interface GeoAnswer {
  region: string;
  city: string;
  timezone: string;
  carrier: string;
}

const MISSING = 0 as const;
const NO_NODE: GeoNode = [0, "", "", "", ""];

/**
 * Longest-prefix look-up over the geo table with an in-process cache of prefix nodes: a file costs about
 * one read of `readNode` per distinct prefix on its numbers' paths, not one per row. The cache is a
 * two-generation approximation of LRU (cheap on hits, bounded in size); misses are cached too.
 */
export class GeoLookup {
  // Keyed by the prefix as a number plus its length (no string per step): digits * 16 + length.
  private young = new Map<number, GeoNode | typeof MISSING>();
  private old = new Map<number, GeoNode | typeof MISSING>();
  private answers = new Map<GeoNode, Map<string, GeoFields>>();
  /** Reads of `readNode` so far (for tests and stats). */
  reads = 0;

  constructor(
    private readonly readNode: (prefix: string) => GeoNode | undefined,
    private readonly cacheSize = 100_000,
  ) {}

  /**
   * The full stored geo of a number in `country`, with empty strings where nothing is known. The same object is
   * returned for the same prefix node and country (callers cache encodings by identity), so never change it.
   */
  answer(phone: string, country: string): GeoFields {
    const node = this.deepest(phone) ?? NO_NODE;
    let byCountry = this.answers.get(node);
    if (!byCountry) {
      if (this.answers.size >= this.cacheSize) this.answers.clear();
      this.answers.set(node, (byCountry = new Map()));
    }
    let a = byCountry.get(country);
    if (!a) byCountry.set(country, (a = Object.freeze({ country, region: node[1], city: node[2], timezone: node[3], carrier: node[4] })));
    return a;
  }

  /** The answer for E.164 `phone` (with or without `+`), or undefined when no prefix of it is known. */
  lookup(phone: string): GeoAnswer | undefined {
    const best = this.deepest(phone);
    return best && { region: best[1], city: best[2], timezone: best[3], carrier: best[4] };
  }

  /** The node of the longest known prefix of `phone`. */
  private deepest(phone: string): GeoNode | undefined {
    const digits = phone.charCodeAt(0) === 43 ? phone.slice(1) : phone;
    let best: GeoNode | undefined;
    let value = 0;
    for (let i = 1; i <= digits.length && i <= 12; i++) {
      value = value * 10 + (digits.charCodeAt(i - 1) - 48);
      const node = this.node(value * 16 + i, digits, i);
      if (node === MISSING) break;
      best = node;
      if (node[0] === 0) break;
    }
    return best;
  }

  private node(key: number, digits: string, length: number): GeoNode | typeof MISSING {
    let n = this.young.get(key);
    if (n !== undefined) return n;
    n = this.old.get(key);
    if (n === undefined) {
      this.reads++;
      n = this.readNode(digits.slice(0, length)) ?? MISSING;
    }
    if (this.young.size >= this.cacheSize / 2) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, n);
    return n;
  }
}
