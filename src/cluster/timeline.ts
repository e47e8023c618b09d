import fs from 'node:fs';
import path from 'node:path';
import type { Lsn } from './lsn.js';

/**
 * A WAL position with the timeline it was written on. Positions on different timelines are
 * not comparable: the same LSN means different data on either side of a promotion, so every
 * comparison here takes the timeline first.
 */
export interface Position {
  timeline: number;
  lsn: Lsn;
}

/** Whether a node at `node` has everything up to `target`: same timeline, at least as far. */
export function reaches(node: Position, target: Position): boolean {
  return node.timeline === target.timeline && node.lsn >= target.lsn;
}

/** The newest timeline seen in one cluster (PostgreSQL's system identifier tells clusters apart). */
export interface TimelineRecord {
  systemIdentifier: string;
  timeline: number;
}

/** Where the newest timeline is kept between runs, so a restart does not forget a failover. */
export interface TimelineStore {
  load(): TimelineRecord | undefined;
  save(record: TimelineRecord): void;
}

/** What `observe` learned from one probe. */
export type TimelineObservation =
  /** Nothing new. */
  | { kind: 'known' }
  /** The node is on a timeline newer than any seen: from now on, older ones serve nothing. */
  | { kind: 'newer'; previous: number }
  /** The remembered timeline belonged to another cluster (re-created since): forgotten. */
  | { kind: 'cluster-replaced'; forgotten: TimelineRecord }
  /** The node belongs to another cluster than the others: its timeline says nothing about them. */
  | { kind: 'foreign-cluster' };

/**
 * The newest timeline the connection manager has ever seen. Timelines only go forward: a
 * promotion starts a new one, and a node still on an older one (an old primary back as it
 * was, or a replica that still follows it) has missed acknowledged writes, whatever the other
 * nodes answer at the moment. So this value never goes down while the process runs, and with
 * a store it survives restarts too.
 */
export class NewestTimeline {
  private record: TimelineRecord | undefined;
  /** Whether a node of this run has answered with the record's cluster (a loaded record may be stale). */
  private confirmed = false;

  constructor(private readonly store?: TimelineStore) {
    this.record = store?.load();
  }

  /** The newest timeline seen, or 0 before any node answered. */
  get timeline(): number {
    return this.record?.timeline ?? 0;
  }

  /** The cluster's PostgreSQL system identifier, once a node of this run has answered. */
  get systemIdentifier(): string | undefined {
    return this.confirmed ? this.record?.systemIdentifier : undefined;
  }

  observe(systemIdentifier: string, timeline: number): TimelineObservation {
    const record = this.record;
    if (record && record.systemIdentifier !== systemIdentifier) {
      if (this.confirmed) return { kind: 'foreign-cluster' };
      this.confirmed = true;
      this.remember({ systemIdentifier, timeline });
      return { kind: 'cluster-replaced', forgotten: record };
    }
    this.confirmed = true;
    if (record && timeline <= record.timeline) return { kind: 'known' };
    this.remember({ systemIdentifier, timeline });
    return record ? { kind: 'newer', previous: record.timeline } : { kind: 'known' };
  }

  private remember(record: TimelineRecord): void {
    this.record = record;
    this.store?.save(record);
  }
}

/**
 * A JSON file holding the newest timeline, written atomically (a new file renamed over the
 * old one), read once at start. Written only when the timeline moves, so a few times a year.
 */
export function timelineFile(file: string): TimelineStore {
  return {
    load() {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new Error(`Cannot read ${file} (SHOPGRAPH_TIMELINE_FILE): ${(error as Error).message}`, { cause: error });
      }
      const parsed = JSON.parse(text) as Partial<TimelineRecord>;
      if (typeof parsed.systemIdentifier !== 'string' || !Number.isSafeInteger(parsed.timeline)) {
        throw new Error(`${file} (SHOPGRAPH_TIMELINE_FILE) is not a timeline record; delete it only if the cluster never failed over.`);
      }
      return { systemIdentifier: parsed.systemIdentifier, timeline: parsed.timeline! };
    },
    save(record) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(temporary, `${JSON.stringify({ ...record, savedAt: new Date().toISOString() }, null, 2)}\n`, { mode: 0o600 });
      fs.renameSync(temporary, file);
    },
  };
}
