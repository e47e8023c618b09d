import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import type { PostgresBinaries } from './binaries.js';
import { spawnIdentity, type ServerUser } from './server-user.js';

/**
 * The PostgreSQL programs, run as the server user. `pg_ctl` daemonises the server, so a
 * cluster started by `shopgraph cluster up` outlives the command that started it.
 */
export class PgCtl {
  constructor(
    private readonly binaries: PostgresBinaries,
    private readonly user: ServerUser | undefined,
  ) {}

  async initdb(dataDir: string, superuser: string, passwordFile: string): Promise<void> {
    await this.run(this.binaries.initdb, [
      `--pgdata=${dataDir}`,
      `--username=${superuser}`,
      `--pwfile=${passwordFile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      // The builtin provider (PostgreSQL 17+) gives Unicode case mapping for ILIKE without
      // depending on the host's installed locales.
      '--locale-provider=builtin',
      '--builtin-locale=C.UTF-8',
      '--locale=C',
    ]);
  }

  async start(dataDir: string, logFile: string): Promise<void> {
    await this.run(this.binaries.pgCtl, ['start', '--wait', '--timeout=60', `--pgdata=${dataDir}`, `--log=${logFile}`], {
      explainFailure: async (output) => `${output.trim()}\n${await tail(logFile)}`,
    });
  }

  async stop(dataDir: string, mode: 'smart' | 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.run(this.binaries.pgCtl, ['stop', '--wait', '--timeout=60', `--pgdata=${dataDir}`, `--mode=${mode}`]);
  }

  async promote(dataDir: string): Promise<void> {
    await this.run(this.binaries.pgCtl, ['promote', '--wait', '--timeout=60', `--pgdata=${dataDir}`]);
  }

  /** Whether a server is running on `dataDir` (pg_ctl status exits 3 when none is). */
  async isRunning(dataDir: string): Promise<boolean> {
    const { code } = await this.exec(this.binaries.pgCtl, ['status', `--pgdata=${dataDir}`]);
    return code === 0;
  }

  private async run(
    program: string,
    args: string[],
    options: { explainFailure?: (output: string) => Promise<string> } = {},
  ): Promise<void> {
    const { code, output } = await this.exec(program, args);
    if (code === 0) return;
    const detail = options.explainFailure ? await options.explainFailure(output) : output;
    const name = program.split('/').pop();
    throw new Error(`${name} ${args[0]?.startsWith('-') ? '' : (args[0] ?? '')} failed (exit ${code}):\n${detail.trim()}`);
  }

  private exec(program: string, args: string[]): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(program, args, {
        ...spawnIdentity(this.user),
        // Detached stdio: the daemonised postmaster must not hold our pipes open.
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, output }));
    });
  }
}

async function tail(file: string, lines = 15): Promise<string> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-lines).join('\n');
}
