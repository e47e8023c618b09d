import { parseArgs } from 'node:util';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';

/** An option of a command: `--name VALUE` (a string) or `--name` (a flag). */
export interface OptionSpec {
  type: 'string' | 'boolean';
  /** What the value is, in the help: `N`, `URL`. Only for string options. */
  value?: string;
  /** The command refuses to run without it. */
  required?: boolean;
  description: string;
}

/** One command of `shopgraph`, with everything it accepts; nothing else gets through. */
export interface Command {
  /** The words that name it: `['start']`, `['backup', 'prune']`. */
  words: readonly string[];
  /** Required positional arguments, in order (every command takes exactly these). */
  arguments?: readonly { name: string; description: string }[];
  options?: Readonly<Record<string, OptionSpec>>;
  /** One line for the list of commands; the first sentence of its help. */
  summary: string;
  /** More help text, printed under the summary by `--help`. */
  details?: string;
  run(config: Config, logger: Logger, args: CommandArgs): Promise<void>;
}

export interface CommandArgs {
  /** The positional arguments after the command's words, as many as the command declares. */
  positionals: string[];
  options: Record<string, string | boolean | undefined>;
}

export type CommandLine =
  | { kind: 'run'; command: Command; args: CommandArgs }
  /** Help that was asked for: print it and succeed. */
  | { kind: 'help'; text: string };

/** A command line that is not one of the commands; the message says what would be. */
export class UsageError extends Error {}

const HELP_OPTION: OptionSpec = { type: 'boolean', description: 'show this help' };

/**
 * Reads a command line against the commands, strictly: an unknown command, option or
 * argument, a missing value or a missing required option is refused with what the command
 * does accept (`node:util` parseArgs in strict mode), so a typo never runs a command with a
 * default the caller did not mean. `--help` (or `-h`) anywhere asks for help instead.
 */
export function parseCommandLine(argv: readonly string[], commands: readonly Command[]): CommandLine {
  const [first, second] = argv;
  if (first === undefined) throw new UsageError(`which command?\n\n${overview(commands)}`);
  if (first === 'help' || first === '--help' || first === '-h') return { kind: 'help', text: overview(commands) };
  const family = commands.filter((command) => command.words[0] === first);
  if (family.length === 0)
    throw new UsageError(`${guess(`unknown command ${first}`, first, firstWords(commands))}\n\n${overview(commands)}`);
  const single = family.find((command) => command.words.length === 1);
  const command = single ?? family.find((candidate) => candidate.words[1] === second);
  if (!command) {
    if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help', text: groupHelp(first, family) };
    const actions = family.map((candidate) => candidate.words[1]!);
    const refusal = `${first} takes ${listOf(actions)}, not ${second ?? 'nothing'}`;
    throw new UsageError(`${second === undefined ? `${refusal}.` : guess(refusal, second, actions)}\n\n${groupHelp(first, family)}`);
  }
  const rest = argv.slice(command.words.length);
  const specs = { ...command.options, help: HELP_OPTION };
  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: Object.fromEntries(
        Object.entries(specs).map(([name, spec]) => [name, name === 'help' ? { type: spec.type, short: 'h' } : { type: spec.type }]),
      ),
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError(`${describeParseError(command, error)}\n\n${commandHelp(command)}`);
  }
  if (parsed.values.help) return { kind: 'help', text: commandHelp(command) };
  const name = command.words.join(' ');
  const expected = command.arguments ?? [];
  if (parsed.positionals.length < expected.length) {
    const missing = expected[parsed.positionals.length]!;
    throw new UsageError(`${name} takes ${missing.name}: ${missing.description}.\n\n${commandHelp(command)}`);
  }
  if (parsed.positionals.length > expected.length) {
    const extra = parsed.positionals[expected.length]!;
    throw new UsageError(`${name} does not take the argument ${extra}.\n\n${commandHelp(command)}`);
  }
  for (const [option, spec] of Object.entries(command.options ?? {})) {
    if (spec.required && parsed.values[option] === undefined)
      throw new UsageError(`${name} needs --${option} ${spec.value ?? ''}`.trimEnd() + `: ${spec.description}.\n\n${commandHelp(command)}`);
  }
  const { help: _help, ...options } = parsed.values;
  return { kind: 'run', command, args: { positionals: parsed.positionals, options } };
}

/** A number option within a range, or the fallback when it was not given. */
export function numberOption(args: CommandArgs, name: string, fallback: number, range: { min: number; max: number }): number {
  const raw = args.options[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value) || value < range.min || value > range.max) {
    throw new UsageError(`--${name} takes a number from ${range.min} to ${range.max}, not ${String(raw)}.`);
  }
  return value;
}

export function stringOption(args: CommandArgs, name: string): string | undefined {
  const value = args.options[name];
  return typeof value === 'string' ? value : undefined;
}

export function flag(args: CommandArgs, name: string): boolean {
  return args.options[name] === true;
}

/** The list of every command, for `shopgraph --help` and a command line that names none. */
export function overview(commands: readonly Command[]): string {
  const lines = commands.map((command) => {
    const usage = usageOf(command);
    return usage.length <= 30 ? `  ${usage.padEnd(30)}${command.summary}` : `  ${usage}\n  ${' '.repeat(30)}${command.summary}`;
  });
  return `Usage: shopgraph <command> [options]

Commands:
${lines.join('\n')}

Every command takes --help. Configuration comes from the environment; see README.md.`;
}

/** `shopgraph backup prune --help`. */
export function commandHelp(command: Command): string {
  const options = Object.entries({ ...command.options, help: HELP_OPTION }).map(([name, spec]) => {
    const label = `${name === 'help' ? '-h, ' : ''}--${name}${spec.value ? ` ${spec.value}` : ''}`;
    return `  ${label.padEnd(22)}${spec.required ? '(required) ' : ''}${spec.description}`;
  });
  const args = (command.arguments ?? []).map((argument) => `  ${argument.name.padEnd(22)}${argument.description}`);
  return [
    `Usage: shopgraph ${usageOf(command)}`,
    '',
    command.summary + (command.details ? `\n${command.details}` : ''),
    ...(args.length > 0 ? ['', 'Arguments:', ...args] : []),
    '',
    'Options:',
    ...options,
  ].join('\n');
}

function groupHelp(word: string, family: readonly Command[]): string {
  const lines = family.map((command) => `  ${usageOf(command)}\n      ${command.summary}`);
  return `Usage: shopgraph ${word} <${family.map((command) => command.words[1]).join('|')}> [options]\n\n${lines.join('\n')}\n\nEach takes --help.`;
}

function usageOf(command: Command): string {
  const parts = [...command.words, ...(command.arguments ?? []).map((argument) => argument.name)];
  for (const [name, spec] of Object.entries(command.options ?? {})) {
    const text = `--${name}${spec.value ? ` ${spec.value}` : ''}`;
    parts.push(spec.required ? text : `[${text}]`);
  }
  return parts.join(' ');
}

/** What was wrong, in the words of parseArgs, with a guess at the option that was meant. */
function describeParseError(command: Command, error: unknown): string {
  const name = command.words.join(' ');
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const given = /'([^']+)'/.exec(message)?.[1] ?? message;
    const known = Object.keys({ ...command.options, help: HELP_OPTION }).map((option) => `--${option}`);
    return guess(`${name}: unknown option ${given}`, given.split('=')[0]!, known);
  }
  return `${name}: ${message}`;
}

function firstWords(commands: readonly Command[]): string[] {
  return [...new Set(commands.map((command) => command.words[0]!))];
}

function listOf(words: string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/** The message, and "did you mean --max-age-days?" when the word given looks like a known one. */
function guess(message: string, given: string, known: readonly string[]): string {
  const plain = (word: string) => word.replace(/^-+/, '').toLowerCase();
  const target = plain(given);
  if (target === '') return `${message}.`;
  let best: { word: string; score: number } | undefined;
  for (const word of known) {
    const candidate = plain(word);
    // A prefix (`--max-age` for `--max-age-days`) or a near miss (`--kep`) counts.
    const score = candidate.startsWith(target) || target.startsWith(candidate) ? 0 : editDistance(target, candidate);
    if (score <= Math.max(1, Math.floor(candidate.length / 3)) && (!best || score < best.score)) best = { word, score };
  }
  return best ? `${message}; did you mean ${best.word}?` : `${message}.`;
}

/** Edits (insert, delete, replace, swap two neighbours) from one word to the other. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}
