import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NewestTimeline, reaches, timelineFile, type TimelineRecord, type TimelineStore } from '../../src/cluster/timeline.js';

const memoryStore = (record?: TimelineRecord): TimelineStore & { saved: TimelineRecord[] } => {
  const saved: TimelineRecord[] = [];
  return {
    saved,
    load: () => record,
    save: (next) => void saved.push(next),
  };
};

describe('comparing positions', () => {
  it('counts a node as having a position when it is on the same timeline and at least as far', () => {
    expect(reaches({ timeline: 2, lsn: 500n }, { timeline: 2, lsn: 500n })).toBe(true);
    expect(reaches({ timeline: 2, lsn: 499n }, { timeline: 2, lsn: 500n })).toBe(false);
  });

  it('never compares positions on different timelines, whichever LSN is larger', () => {
    // A node on timeline 1 far past the fork has data timeline 2 never had, and the reverse.
    expect(reaches({ timeline: 1, lsn: 9000n }, { timeline: 2, lsn: 500n })).toBe(false);
    expect(reaches({ timeline: 2, lsn: 9000n }, { timeline: 1, lsn: 500n })).toBe(false);
  });
});

describe('the newest timeline', () => {
  it('starts at 0 and takes the first timeline a node reports', () => {
    const newest = new NewestTimeline();
    expect(newest.timeline).toBe(0);
    expect(newest.observe('sys', 1)).toEqual({ kind: 'known' });
    expect(newest.timeline).toBe(1);
  });

  it('only goes forward', () => {
    const newest = new NewestTimeline();
    newest.observe('sys', 1);
    expect(newest.observe('sys', 2)).toEqual({ kind: 'newer', previous: 1 });
    expect(newest.observe('sys', 1)).toEqual({ kind: 'known' });
    expect(newest.timeline).toBe(2);
  });

  it('is saved when it moves and loaded at start, so a restart does not forget a failover', () => {
    const store = memoryStore({ systemIdentifier: 'sys', timeline: 2 });
    const newest = new NewestTimeline(store);
    expect(newest.timeline).toBe(2);
    newest.observe('sys', 1);
    expect(store.saved).toEqual([]);
    newest.observe('sys', 3);
    expect(store.saved).toEqual([{ systemIdentifier: 'sys', timeline: 3 }]);
  });

  it('forgets a remembered timeline when the first node to answer belongs to a re-created cluster', () => {
    const newest = new NewestTimeline(memoryStore({ systemIdentifier: 'old-cluster', timeline: 5 }));
    expect(newest.observe('new-cluster', 1)).toEqual({
      kind: 'cluster-replaced',
      forgotten: { systemIdentifier: 'old-cluster', timeline: 5 },
    });
    expect(newest.timeline).toBe(1);
  });

  it('ignores a node of another cluster once the cluster is known', () => {
    const newest = new NewestTimeline();
    newest.observe('sys', 2);
    expect(newest.observe('stranger', 7)).toEqual({ kind: 'foreign-cluster' });
    expect(newest.timeline).toBe(2);
  });
});

describe('the timeline file', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the record across instances and reads as nothing before the first save', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shopgraph-timeline-'));
    const file = path.join(dir, 'state', 'newest-timeline.json');
    expect(timelineFile(file).load()).toBeUndefined();
    timelineFile(file).save({ systemIdentifier: '7714980612433921992', timeline: 4 });
    expect(timelineFile(file).load()).toEqual({ systemIdentifier: '7714980612433921992', timeline: 4 });
  });

  it('refuses a file that is not a timeline record, naming the setting', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shopgraph-timeline-'));
    const file = path.join(dir, 'newest-timeline.json');
    fs.writeFileSync(file, '{"timeline": "two"}');
    expect(() => timelineFile(file).load()).toThrow(/SHOPGRAPH_TIMELINE_FILE/);
  });
});
