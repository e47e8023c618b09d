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

/**
 * Backups from the running server at a fixed interval, each followed by pruning; one at a
 * time (a run still going when the next is due makes that one wait for the next interval).
 */
export class BackupScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
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

  health(): BackupHealth {
    return { ...this.state };
  }

  /** One scheduled run now (the timer calls it; tests may too). */
  runOnce(): Promise<void> {
    this.running ??= this.backUp().finally(() => (this.running = undefined));
    return this.running;
  }

  private async backUp(): Promise<void> {
    const started = performance.now();
    const { logger } = this.options;
    try {
      const manifest = await createBackup(this.cluster, this.target);
      const pruned = await pruneBackups(this.target, { keep: this.options.keep, maxAgeDays: this.options.maxAgeDays });
      Object.assign(this.state, { lastOutcome: 'succeeded', lastSucceededAt: new Date(), lastBackupId: manifest.id });
      logger.info('scheduled backup finished', {
        backup: manifest.id,
        bytes: manifest.totalBytes,
        source: manifest.source.node,
        pruned: pruned.length,
      });
    } catch (error) {
      Object.assign(this.state, { lastOutcome: 'failed', lastFailedAt: new Date() });
      logger.error('scheduled backup failed', safeErrorFields(error));
    } finally {
      this.state.lastDurationSeconds = Math.round((performance.now() - started) / 100) / 10;
    }
  }
}
