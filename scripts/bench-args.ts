/** Command-line flags of the benchmark scripts: `--name value`. */
export function argString(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

/** A numeric flag, e.g. `--n 1000000`. */
export function argNumber(name: string, fallback: number): number {
  return Number(argString(name, String(fallback)));
}
