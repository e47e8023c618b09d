import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * What a node's data directory says about it while the node is stopped (the embedded
 * binaries have no pg_controldata, and none is needed: the file names tell).
 */

/**
 * The newest timeline the directory has been on: the highest of its timeline history files
 * (`00000002.history`, written by a promotion and fetched by every replica that follows the
 * new timeline) and of its WAL segment names (the first 8 hex digits). 0 for an empty pg_wal
 * (a fresh copy that has not streamed yet).
 */
export async function timelineOfDataDir(dataDir: string): Promise<number> {
  const names = await fs.readdir(path.join(dataDir, 'pg_wal')).catch(() => [] as string[]);
  let newest = 0;
  for (const name of names) {
    const match = /^([0-9A-F]{8})(?:\.history|[0-9A-F]{16})$/.exec(name);
    if (match) newest = Math.max(newest, parseInt(match[1]!, 16));
  }
  return newest;
}

/** Whether the directory starts as a replica (standby.signal; PostgreSQL removes it when promoting). */
export async function isStandby(dataDir: string): Promise<boolean> {
  return fs.access(path.join(dataDir, 'standby.signal')).then(
    () => true,
    () => false,
  );
}
