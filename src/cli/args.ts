/** Command-line arguments: positional words and `--name value` / `--flag` options. */
export interface ParsedArgs {
  positionals: string[];
  options: Map<string, string | true>;
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const next = argv[i + 1];
    if (inline !== undefined) options.set(name, inline);
    else if (next !== undefined && !next.startsWith('--') && VALUE_OPTIONS.has(name)) {
      options.set(name, next);
      i++;
    } else options.set(name, true);
  }
  return { positionals, options };
}

/** Options that take a value; every other `--name` is a flag. */
const VALUE_OPTIONS = new Set(['scale', 'seed', 'name', 'scopes', 'rate', 'to', 'keep', 'max-age-days']);

export class UsageError extends Error {}

export function numberOption(args: ParsedArgs, name: string, fallback: number, range: { min: number; max: number }): number {
  const raw = args.options.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw === true || !Number.isFinite(value) || value < range.min || value > range.max) {
    throw new UsageError(`--${name} takes a number from ${range.min} to ${range.max}.`);
  }
  return value;
}
