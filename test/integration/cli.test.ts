import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedCluster } from '../../src/embedded/index.js';
import { runCli, spawnCli } from '../support/cli.js';
import { sharedNodes } from '../support/cluster.js';
import { findFreePorts } from '../../src/embedded/ports.js';
import { freePortRange } from '../support/port-range.js';

describe('shopgraph cluster status --json', () => {
  it("prints every node's name, url, role and replay lag for scripts", async () => {
    const nodes = sharedNodes();
    const result = await runCli(['cluster', 'status', '--json'], { DATABASE_URLS: nodes.map((node) => node.url).join(',') });
    expect(result.code).toBe(0);
    const status = JSON.parse(result.stdout) as {
      nodes: { name: string; url: string; role: string; lagBytes: number; lagSeconds: number }[];
    };
    expect(status.nodes.map(({ name, url, role }) => ({ name, url, role }))).toEqual([
      { name: 'node1', url: nodes[0]!.url, role: 'primary' },
      { name: 'node2', url: nodes[1]!.url, role: 'replica' },
      { name: 'node3', url: nodes[2]!.url, role: 'replica' },
    ]);
    for (const node of status.nodes) {
      expect(node.lagBytes).toBeGreaterThanOrEqual(0);
      expect(node.lagSeconds).toBeGreaterThanOrEqual(0);
    }
  });

  it('stops with one line naming the variable when the configuration is wrong', async () => {
    const result = await runCli(['cluster', 'status', '--json'], { DATABASE_URLS: 'mysql://db1/shop' });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'shopgraph: configuration error: DATABASE_URLS: entry 1 of 1 must start with postgres:// or postgresql://.\n',
    );
  });
});

describe('shopgraph start without DATABASE_URLS', () => {
  const running: ChildProcess[] = [];
  const dataDirs: string[] = [];
  afterEach(async () => {
    for (const child of running.splice(0)) child.kill('SIGKILL');
    for (const dataDir of dataDirs.splice(0)) {
      const cluster = await EmbeddedCluster.open({ dataDir }).catch(() => undefined);
      await cluster?.down();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });

  /** Starts the server and resolves with its log lines once it serves. */
  async function start(env: Record<string, string>): Promise<{ child: ChildProcess; lines: string[]; url: string }> {
    const child = spawnCli(['start'], env);
    running.push(child);
    const lines: string[] = [];
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      let buffered = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const complete = buffered.split('\n');
        buffered = complete.pop()!;
        for (const line of complete) {
          lines.push(line);
          const match = /ShopGraph is serving (http:\/\/[^\s"]+)/.exec(line);
          if (match) resolve(match[1]!);
        }
      });
      child.on('close', (code) => reject(new Error(`start exited with ${code}: ${stderr}`)));
    });
    return { child, lines, url };
  }

  const stop = (child: ChildProcess) =>
    new Promise<number | null>((resolve) => {
      child.on('close', resolve);
      child.kill('SIGTERM');
    });

  it('creates, migrates and seeds a local cluster, serves it, and stops it on SIGTERM', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'shopgraph-start-'));
    dataDirs.push(dataDir);
    const [port] = await findFreePorts(1);
    const env = {
      SHOPGRAPH_DATA_DIR: dataDir,
      SHOPGRAPH_SEED_SCALE: '0.01',
      PORT: String(port),
      SHOPGRAPH_EMBEDDED_PORT: String(await freePortRange(3)),
    };

    const first = await start(env);
    expect(first.lines.some((line) => line.includes('creating a new cluster'))).toBe(true);
    expect(first.lines.some((line) => line.includes('loaded demo data'))).toBe(true);
    // It says what it does while it migrates and seeds, table by table.
    for (const step of ['migrating the database schema', 'demo data: loaded products', 'demo data: analysing the tables']) {
      expect(
        first.lines.some((line) => line.includes(step)),
        step,
      ).toBe(true);
    }
    const response = await fetch(first.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ products(first: 1) { totalCount } }' }),
    });
    expect(await response.json()).toMatchObject({ data: { products: { totalCount: 100 } }, extensions: { routing: { role: 'replica' } } });
    expect(await stop(first.child)).toBe(0);
    const cluster = await EmbeddedCluster.open({ dataDir });
    for (const node of cluster.nodes) expect(await cluster.isRunning(node.name)).toBe(false);

    const second = await start(env);
    expect(second.lines.some((line) => line.includes('creating a new cluster') || line.includes('loaded demo data'))).toBe(false);
    expect(await stop(second.child)).toBe(0);
  });
});

describe('a mistyped shopgraph command line', () => {
  it('is refused before anything runs, naming the option that was meant and every valid one', async () => {
    const backups = await fs.mkdtemp(path.join(os.tmpdir(), 'shopgraph-prune-'));
    try {
      await fs.writeFile(path.join(backups, 'untouched'), '');
      const result = await runCli(['backup', 'prune', '--max-age', '30'], { SHOPGRAPH_BACKUP_DIR: backups });
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.split('\n')[0]).toBe('shopgraph: backup prune: unknown option --max-age; did you mean --max-age-days?');
      expect(result.stderr).toContain('--keep N');
      expect(await fs.readdir(backups)).toEqual(['untouched']);
    } finally {
      await fs.rm(backups, { recursive: true, force: true });
    }
  });

  it('gets help with --help, whatever the configuration', async () => {
    const result = await runCli(['backup', 'prune', '--help'], { DATABASE_URLS: 'mysql://db1/shop' });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: shopgraph backup prune \[--keep N\] \[--max-age-days D\] \[--json\]\n/);
  });
});
