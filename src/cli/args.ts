/** Parses `--key value` / `--flag` arguments into a map and positional list. */
export function parseArgs(argv: string[]): { flags: Record<string, string | true>; positional: string[] } {
  const flags: Record<string, string | true> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith("--")) {
      const [k, inline] = a.slice(2).split("=", 2) as [string, string | undefined];
      const next = argv[i + 1];
      if (inline !== undefined) flags[k] = inline;
      else if (next !== undefined && !next.startsWith("--")) flags[k] = argv[++i]!;
      else flags[k] = true;
    } else positional.push(a);
  }
  return { flags, positional };
}

/** The value of a required string flag. @throws Error naming the flag. */
export function requireFlag(flags: Record<string, string | true>, name: string): string {
  const v = flags[name];
  if (typeof v !== "string" || !v) throw new Error(`--${name} is required`);
  return v;
}
