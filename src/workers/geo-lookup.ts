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

/** A prefix in the cache: its node (or MISSING), and the cached prefixes one digit longer, by that digit. */
interface Prefix {
  node: GeoNode | typeof MISSING;
  next?: (Prefix | undefined)[];
}

/**
 * Longest-prefix look-up over the geo table with an in-process cache of prefix nodes: a file costs about
 * one read of `readNode` per distinct prefix on its numbers' paths, not one per row. The cache is a trie walked
 * digit by digit (an array step per digit, no key to build or hash), in two generations as an approximation of
 * LRU (cheap on hits, bounded in size): a prefix missing from the young trie is taken from the old one when
 * there, else read; when the young one is full it becomes the old one. Misses are cached too.
 */
export class GeoLookup {
  private young: Prefix = { node: MISSING };
  private old?: Prefix;
  /** Prefixes in the young trie. */
  private size = 0;
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

  /** The node of the longest known prefix of `phone` (up to 12 digits). */
  private deepest(phone: string): GeoNode | undefined {
    const start = phone.charCodeAt(0) === 43 ? 1 : 0;
    const end = Math.min(phone.length, start + 12);
    let young = this.young;
    let old = this.old;
    let best: GeoNode | undefined;
    for (let i = start; i < end; i++) {
      const digit = phone.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) break;
      old = old?.next?.[digit];
      let p = young.next?.[digit];
      if (p === undefined) {
        p = { node: old ? old.node : this.read(phone.slice(start, i + 1)) };
        (young.next ??= new Array(10))[digit] = p;
        this.size++;
      }
      if (p.node === MISSING) break;
      best = p.node;
      if (p.node[0] === 0) break;
      young = p;
    }
    if (this.size >= this.cacheSize / 2) {
      this.old = this.young;
      this.young = { node: MISSING };
      this.size = 0;
    }
    return best;
  }

  private read(prefix: string): GeoNode | typeof MISSING {
    this.reads++;
    return this.readNode(prefix) ?? MISSING;
  }
}
