import type { ConnectionManager } from '../../cluster/index.js';
import { safeErrorFields } from '../../errors.js';
import type { Logger } from '../../log.js';
import { createBackup, pruneBackups } from './backup.js';
import type { BackupTarget } from './target.js';

/** What the server knows of its scheduled backups, for /metrics and /readyz. */
export interface BackupHealth {
  lastOutcome: 'none' | 'succeeded' | 'failed';
  lastSucceededAt: Date | null;
  lastFailedAt: Date | null;
  lastDurationSeconds: number | null;
  lastBackupId: string | null;
}

/** What one scheduled run did. */
export type ScheduledRun =
  | { kind: 'took'; id: string }
  /** Another instance holds the lock: it is taking one now. */
  | { kind: 'busy' }
  /** A backup in the target started less than an interval ago (from another instance, or by hand). */
  | { kind: 'recent'; id: string }
  | { kind: 'failed' };

/**
 * Any fixed number, the same in every ShopGraph process (like the migration lock): the
 * advisory lock that makes the instances of one cluster take scheduled backups in turn.
 */
export const SCHEDULED_BACKUP_LOCK = 0x5109_bac0;

/**
 * A backup whose start is this close to an interval ago counts as this interval's: timers
 * drift, and the instance that took the last one must not skip the next for a few ms.
 */
const INTERVAL_TOLERANCE = 0.1;

/**
 * Backups from the running server at a fixed interval, each followed by pruning. Several
 * instances on one cluster take one backup per interval between them: a run first takes a
 * session advisory lock on the primary (held until the backup and pruning are done; a run
 * that does not get it leaves the backup to the instance that has it), then looks at the
 * target, and backs up only when its newest backup started an interval ago or more. The
 * instances must therefore share the target (s3, or one directory). When the primary fails
 * during a backup, its session and so the lock are gone while the backup goes on (it reads
 * from a replica): another instance may then take one too, which costs space, not data.
 */
export class BackupScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ScheduledRun> | undefined;
  private readonly state: BackupHealth = {
    lastOutcome: 'none',
    lastSucceededAt: null,
    lastFailedAt: null,
    lastDurationSeconds: null,
    lastBackupId: null,
  };

  constructor(
    private readonly cluster: ConnectionManager,
    private readonly target: BackupTarget,
    private readonly options: { intervalMs: number; keep: number; maxAgeDays?: number; logger: Logger },
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops scheduling and waits for a backup in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** The backups this instance took (an instance that left them to another reports none). */
  health(): BackupHealth {
    return { ...this.state };
  }

  /** One scheduled run now (the timer calls it; tests may too). */
  runOnce(): Promise<ScheduledRun> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<ScheduledRun> {
    const started = performance.now();
    const { logger } = this.options;
    let session;
    try {
      session = this.cluster.choosePrimary().openSession();
      const [lock] = await session<{ locked: boolean }[]>`select pg_try_advisory_lock(${SCHEDULED_BACKUP_LOCK}) as locked`;
      if (!lock!.locked) {
        logger.info('scheduled backup left to another instance, which is taking one now');
        return { kind: 'busy' };
      }
      const newest = (await this.target.list()).at(-1);
      const age = newest ? Date.now() - Date.parse(newest.startedAt) : Infinity;
      if (newest && age < this.options.intervalMs * (1 - INTERVAL_TOLERANCE)) {
        logger.info('scheduled backup not due: the newest one is less than an interval old', {
          backup: newest.id,
          ageSeconds: Math.round(age / 1000),
        });
        return { kind: 'recent', id: newest.id };
      }
      const manifest = await createBackup(this.cluster, this.target);
      const pruned = await pruneBackups(this.target, { keep: this.options.keep, maxAgeDays: this.options.maxAgeDays });
      Object.assign(this.state, { lastOutcome: 'succeeded', lastSucceededAt: new Date(), lastBackupId: manifest.id });
      this.state.lastDurationSeconds = Math.round((performance.now() - started) / 100) / 10;
      logger.info('scheduled backup finished', {
        backup: manifest.id,
        bytes: manifest.totalBytes,
        source: manifest.source.node,
        pruned: pruned.length,
      });
      return { kind: 'took', id: manifest.id };
    } catch (error) {
      Object.assign(this.state, { lastOutcome: 'failed', lastFailedAt: new Date() });
      this.state.lastDurationSeconds = Math.round((performance.now() - started) / 100) / 10;
      logger.error('scheduled backup failed', safeErrorFields(error));
      return { kind: 'failed' };
    } finally {
      // Ending the session releases the lock.
      await session?.end().catch(() => {});
    }
  }
}
