import { describe, expect, it } from 'vitest';
import { commandHelp, numberOption, parseCommandLine, UsageError, type CommandLine } from '../../src/cli/args.js';
import { COMMANDS } from '../../src/cli/command-table.js';

const parse = (line: string): CommandLine => parseCommandLine(line.split(' ').filter(Boolean), COMMANDS);

/** The message of the UsageError the command line is refused with. */
function refusal(line: string): string {
  try {
    parse(line);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`"${line}" was accepted`);
}

describe('the shopgraph command line', () => {
  it('refuses a misspelt option, naming the option that was meant and listing every valid one', () => {
    const message = refusal('backup prune --max-age 30');
    expect(message.split('\n')[0]).toBe('backup prune: unknown option --max-age; did you mean --max-age-days?');
    for (const option of ['--keep N', '--max-age-days D', '--json', '-h, --help']) expect(message).toContain(option);
  });

  it('refuses an option that is missing its value', () => {
    expect(refusal('backup prune --keep').split('\n')[0]).toBe("backup prune: Option '--keep <value>' argument missing");
    expect(refusal('keys create --name --scopes admin')).toContain("Option '--name' argument is ambiguous");
  });

  it('refuses a value given to a flag', () => {
    expect(refusal('cluster status --json=yes').split('\n')[0]).toBe("cluster status: Option '--json' does not take an argument");
  });

  it('refuses an option of another command', () => {
    expect(refusal('backup list --keep 3').split('\n')[0]).toBe('backup list: unknown option --keep.');
  });

  it('refuses arguments a command does not take, and missing ones', () => {
    expect(refusal('start now').split('\n')[0]).toBe('start does not take the argument now.');
    expect(refusal('backup verify').split('\n')[0]).toBe('backup verify takes ID: a backup id, as backup list shows it.');
    expect(refusal('cluster stop pg2 pg3').split('\n')[0]).toBe('cluster stop does not take the argument pg3.');
  });

  it('refuses a command without a required option', () => {
    expect(refusal('keys create --name shop').split('\n')[0]).toMatch(
      /^keys create needs --scopes a,b: what it may do, some of: catalog:read/,
    );
    expect(refusal('backup restore 20261124T093000Z-ab12').split('\n')[0]).toMatch(/^backup restore needs --to URL/);
  });

  it('refuses unknown commands and actions, suggesting the one meant', () => {
    expect(refusal('bakup list').split('\n')[0]).toBe('unknown command bakup; did you mean backup?');
    expect(refusal('backup prnue').split('\n')[0]).toBe(
      'backup takes create, list, verify, restore or prune, not prnue; did you mean prune?',
    );
    expect(refusal('cluster').split('\n')[0]).toBe('cluster takes up, down, status, failover, stop or start, not nothing.');
    expect(refusal('').split('\n')[0]).toBe('which command?');
  });

  it('reads options and arguments in any order, with the value inline or after the option', () => {
    const line = parse('backup restore --to=postgres://u@h/db ab12 --force');
    expect(line.kind === 'run' && line.command.words).toEqual(['backup', 'restore']);
    expect(line.kind === 'run' && line.args).toEqual({ positionals: ['ab12'], options: { to: 'postgres://u@h/db', force: true } });
    const prune = parse('backup prune --max-age-days 30 --keep 2');
    expect(prune.kind === 'run' && prune.args.options).toEqual({ 'max-age-days': '30', keep: '2' });
  });

  it('answers --help for every command with all of its options, without running it', () => {
    for (const command of COMMANDS) {
      const line = parse(`${command.words.join(' ')} --help`);
      expect(line).toEqual({ kind: 'help', text: commandHelp(command) });
      for (const option of Object.keys(command.options ?? {})) expect(line.kind === 'help' && line.text).toContain(`--${option}`);
      expect(parse(`${command.words.join(' ')} -h`).kind).toBe('help');
    }
    expect(parse('--help').kind).toBe('help');
    expect(parse('backup --help').kind).toBe('help');
  });

  it('refuses a number option that is not a number in its range', () => {
    const args = (keep: string) => ({ positionals: [], options: { keep } });
    expect(numberOption(args('3'), 'keep', 7, { min: 1, max: 10 })).toBe(3);
    expect(numberOption({ positionals: [], options: {} }, 'keep', 7, { min: 1, max: 10 })).toBe(7);
    expect(() => numberOption(args('three'), 'keep', 7, { min: 1, max: 10 })).toThrow('--keep takes a number from 1 to 10, not three.');
    expect(() => numberOption(args(''), 'keep', 7, { min: 1, max: 10 })).toThrow(UsageError);
    expect(() => numberOption(args('11'), 'keep', 7, { min: 1, max: 10 })).toThrow(UsageError);
  });
});
