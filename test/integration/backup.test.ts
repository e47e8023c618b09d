import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createBackup,
  HybridTarget,
  LocalTarget,
  pruneBackups,
  restoreBackup,
  S3Target,
  verifyBackup,
  type BackupManifest,
  type BackupTarget,
} from '../../src/db/backup/index.js';
import { BackupScheduler } from '../../src/db/backup/index.js';
import { OrderStore } from '../../src/db/index.js';
import { startGraphQLServer } from '../../src/graphql/index.js';
import { silentLogger } from '../../src/log.js';
import { runCli } from '../support/cli.js';
import { startPrivateCluster, type PrivateCluster } from '../support/cluster.js';
import { startLocalS3, type LocalS3 } from '../support/s3.js';

let cluster: PrivateCluster;
let s3: LocalS3;
let admin: postgres.Sql;
const dirs: string[] = [];

beforeAll(async () => {
  cluster = await startPrivateCluster();
  s3 = await startLocalS3();
  admin = postgres(cluster.cluster.node('pg1').url.replace(/\/shopgraph$/, '/postgres'), { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await admin?.end();
  await s3?.stop();
  await cluster?.stop();
  for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'shopgraph-backups-'));
  dirs.push(dir);
  return dir;
}

/** A new empty database on the cluster's primary, and its URL. */
async function newDatabase(): Promise<string> {
  const name = `restore_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  await admin.unsafe(`create database ${name}`);
  return cluster.cluster.node('pg1').url.replace(/\/shopgraph$/, `/${name}`);
}

/** Places orders on the primary until `stop` is called, and counts them. */
function placeOrders() {
  let running = true;
  let placed = 0;
  const done = (async () => {
    while (running) {
      await new OrderStore(cluster.manager.route('write'))
        .placeOrder({ customerId: 1 + (placed % 200), lines: [{ productId: 1 + (placed % 400), quantity: 1 }] })
        .catch(() => {});
      placed += 1;
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return placed;
    },
  };
}

describe('a backup taken while orders are placed', () => {
  let target: LocalTarget;
  let manifest: BackupManifest;
  let restoredUrl: string;

  beforeAll(async () => {
    target = new LocalTarget(await tempDir());
    const load = placeOrders();
    await new Promise((resolve) => setTimeout(resolve, 300));
    manifest = await createBackup(cluster.manager, target);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await load.stop()).toBeGreaterThan(5);
    restoredUrl = await newDatabase();
  });

  it('comes from a replica, with a manifest of every table', () => {
    expect(manifest.source.role).toBe('replica');
    expect(manifest.source.walPosition).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(Object.keys(manifest.rowCounts)).toEqual([
      'warehouses',
      'categories',
      'products',
      'product_images',
      'inventory_levels',
      'customers',
      'orders',
      'order_items',
      'reviews',
      'api_keys',
      'idempotency_keys',
    ]);
    expect(manifest.rowCounts.products).toBe(500);
    for (const table of manifest.tables) expect(table.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is listed and verifies', async () => {
    expect((await target.list()).map((listed) => listed.id)).toEqual([manifest.id]);
    expect(await verifyBackup(target, manifest.id)).toEqual({ id: manifest.id, ok: true, problems: [] });
  });

  it('restores into a new database as exactly the snapshot it was taken from', async () => {
    await restoreBackup(target, manifest.id, restoredUrl);
    const restored = postgres(restoredUrl, { max: 1 });
    const live = postgres(cluster.cluster.node('pg1').url, { max: 1 });
    try {
      // restoreBackup read every table back and matched its SHA-256 with the snapshot's; here,
      // what a person would check: the counts, consistency, and that it is not today's data.
      for (const [table, rows] of Object.entries(manifest.rowCounts)) {
        expect((await restored.unsafe(`select count(*)::int as n from ${table}`))[0]!.n).toBe(rows);
      }
      const [inconsistent] = await restored`
        select count(*)::int as n from orders o
        where o.total_amount <> (select sum(unit_price * quantity) from order_items i where i.order_id = o.id)`;
      expect(inconsistent!.n).toBe(0);
      const [liveOrders] = await live`select count(*)::int as n from orders`;
      expect(liveOrders!.n).toBeGreaterThan(manifest.rowCounts.orders!);
      // New rows continue after the restored ones.
      const [next] = await restored`select nextval(pg_get_serial_sequence('orders', 'id'))::int as id, (select max(id) from orders) as max`;
      expect(next!.id).toBe(next!.max + 1);
    } finally {
      await restored.end();
      await live.end();
    }
  });

  it('refuses to restore into a database that holds data, unless forced', async () => {
    await expect(restoreBackup(target, manifest.id, restoredUrl)).rejects.toThrow(/already holds data .*pass --force/);
    await expect(restoreBackup(target, manifest.id, restoredUrl, { force: true })).resolves.toMatchObject({ id: manifest.id });
  });

  it('fails verification when a file is damaged', async () => {
    const file = path.join(dirs[0]!, manifest.id, 'orders.copy.gz');
    const bytes = await fs.readFile(file);
    bytes[bytes.length - 10]! ^= 0xff;
    await fs.writeFile(file, bytes);
    const report = await verifyBackup(target, manifest.id);
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatch(/^orders\.copy\.gz: /);
  });
});

describe('a backup that fails half way', () => {
  it('leaves nothing that looks like a backup', async () => {
    const dir = await tempDir();
    const local = new LocalTarget(dir);
    const failing: BackupTarget = Object.assign(Object.create(local) as LocalTarget, {
      writeFile: async (id: string, file: string, content: NodeJS.ReadableStream) => {
        if (file.startsWith('orders')) throw new Error('disk full');
        return local.writeFile(id, file, content as never);
      },
    });
    await expect(createBackup(cluster.manager, failing)).rejects.toThrow('disk full');
    expect(await local.list()).toEqual([]);
    expect(await fs.readdir(dir)).toEqual([]);
  });
});

describe('backups in an S3-compatible bucket', () => {
  it('are written, listed, verified and restored through the AWS SDK', async () => {
    const target = new S3Target(s3.settings);
    const manifest = await createBackup(cluster.manager, target);
    expect((await target.list()).map((listed) => listed.id)).toContain(manifest.id);
    expect((await verifyBackup(target, manifest.id)).ok).toBe(true);
    await restoreBackup(target, manifest.id, await newDatabase());
  });

  it('go to a directory and a bucket at once in hybrid mode', async () => {
    const local = new LocalTarget(await tempDir());
    const bucket = new S3Target({ ...s3.settings, prefix: 'hybrid/' });
    const manifest = await createBackup(cluster.manager, new HybridTarget([local, bucket]));
    expect((await local.list()).map((listed) => listed.id)).toEqual([manifest.id]);
    expect((await bucket.list()).map((listed) => listed.id)).toEqual([manifest.id]);
  });
});

describe('pruning', () => {
  it('keeps the newest backups and deletes older ones', async () => {
    const target = new LocalTarget(await tempDir());
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await createBackup(cluster.manager, target)).id);
    expect(await pruneBackups(target, { keep: 2 })).toEqual(ids.slice(0, 2));
    expect((await target.list()).map((listed) => listed.id)).toEqual(ids.slice(2));
    expect(await pruneBackups(target, { keep: 1, maxAgeDays: 1 })).toEqual([]);
  });
});

describe('the backup command', () => {
  it('prints the manifest of a new backup, and the list, as JSON for scripts', async () => {
    const env = {
      DATABASE_URLS: cluster.cluster.nodes.map((node) => `${node.url}#${node.name}`).join(','),
      SHOPGRAPH_BACKUP_DIR: await tempDir(),
    };
    const created = await runCli(['backup', 'create', '--json'], env);
    expect(created.code).toBe(0);
    const manifest = JSON.parse(created.stdout) as BackupManifest;
    expect(manifest.rowCounts.products).toBe(500);
    const listed = await runCli(['backup', 'list', '--json'], env);
    expect((JSON.parse(listed.stdout) as BackupManifest[]).map((entry) => entry.id)).toEqual([manifest.id]);
    const verified = await runCli(['backup', 'verify', manifest.id], env);
    expect(verified.code).toBe(0);
  });
});

describe('scheduled backups', () => {
  it('report their last outcome in /metrics and /readyz', async () => {
    const scheduler = new BackupScheduler(cluster.manager, new LocalTarget(await tempDir()), {
      intervalMs: 3_600_000,
      keep: 3,
      logger: silentLogger,
    });
    const server = await startGraphQLServer({
      cluster: cluster.manager,
      port: 0,
      host: '127.0.0.1',
      backups: () => scheduler.health(),
      admin: { port: 0, host: '127.0.0.1' },
    });
    try {
      await scheduler.runOnce();
      const base = server.adminUrl!;
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain('shopgraph_backup_last_outcome{outcome="succeeded"} 1');
      expect(metrics).toMatch(/shopgraph_backup_last_success_timestamp_seconds \d+/);
      const ready = (await (await fetch(`${base}/readyz`)).json()) as { backups: { lastOutcome: string; lastBackupId: string } };
      expect(ready.backups).toMatchObject({ lastOutcome: 'succeeded', lastBackupId: expect.stringMatching(/^\d{4}-/) });
    } finally {
      await server.stop();
      await scheduler.stop();
    }
  });
});
