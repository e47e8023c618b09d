import fs from 'node:fs/promises';
import path from 'node:path';
import { parseLsn, type Lsn } from '../cluster/index.js';

/**
 * What a node's data directory says about it while the node is stopped (the embedded
 * binaries have no pg_controldata, and none is needed: the file names tell).
 */

/**
 * The newest timeline the directory holds WAL of: the highest timeline in its WAL segment
 * names (the first 8 hex digits). A promotion writes its first record in a segment of the new
 * timeline; a replica has segments of the timelines it received. History files do not count:
 * a replica fetches the new timeline's history before it learns that its own WAL went past
 * the fork, and then never follows it. 0 for an empty pg_wal (a fresh copy that has not
 * streamed yet).
 */
export async function timelineOfDataDir(dataDir: string): Promise<number> {
  const names = await fs.readdir(path.join(dataDir, 'pg_wal')).catch(() => [] as string[]);
  let newest = 0;
  for (const name of names) {
    const match = /^([0-9A-F]{8})[0-9A-F]{16}$/.exec(name);
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

/**
 * Where each earlier timeline of `timeline` ended, from its history file in the directory's
 * pg_wal (`00000003.history`: one line per ancestor, "parent timeline, switch point, reason").
 * Empty for timeline 1 or when the file is missing.
 */
export async function timelineSwitchPoints(dataDir: string, timeline: number): Promise<Map<number, Lsn>> {
  const name = `${timeline.toString(16).toUpperCase().padStart(8, '0')}.history`;
  const text = await fs.readFile(path.join(dataDir, 'pg_wal', name), 'utf8').catch(() => '');
  const points = new Map<number, Lsn>();
  for (const line of text.split('\n')) {
    const match = /^\s*(\d+)\s+([0-9A-F]+\/[0-9A-F]+)/i.exec(line);
    if (match) points.set(Number(match[1]), parseLsn(match[2]!));
  }
  return points;
}
