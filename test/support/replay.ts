import type postgres from 'postgres';
import { eventually } from './eventually.js';

/**
 * Pauses WAL replay on a replica and returns once it has stopped. pg_wal_replay_pause() only
 * asks: a record that arrives before the startup process notices is still replayed, and a
 * test that then expects the replica to be behind would race it.
 */
export async function pauseReplay(replica: postgres.Sql): Promise<void> {
  await replica`select pg_wal_replay_pause()`;
  await eventually(async () => {
    const [row] = await replica<{ state: string }[]>`select pg_get_wal_replay_pause_state() as state`;
    if (row!.state !== 'paused') throw new Error(`replay is ${row!.state}, not paused yet`);
  });
}
