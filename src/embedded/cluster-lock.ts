import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * The locks of an embedded cluster: one per node, so that two changes to one node (the keeper
 * rebuilding it while `cluster start` in another shell starts it) never copy over each other's
 * data directory, while a change to another node goes on (the keeper points a replica at a new
 * primary while an old primary is being rebuilt); and one for cluster.json, held briefly.
 */
export class ClusterLocks {
  readonly state: ClusterLock;
  private readonly byNode: Map<string, ClusterLock>;

  constructor(dir: string, nodeNames: string[]) {
    this.state = new ClusterLock(path.join(dir, 'cluster-state.lock'));
    this.byNode = new Map(nodeNames.map((name) => [name, new ClusterLock(path.join(dir, `${name}.lock`))]));
  }

  node(name: string): ClusterLock {
    const lock = this.byNode.get(name);
    if (!lock) throw new Error(`No node "${name}" in this cluster.`);
    return lock;
  }

  /** Holds every node's lock, taken in name order so that two holders never wait on each other. */
  everyNode<T>(work: () => Promise<T>): Promise<T> {
    const ordered = [...this.byNode.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, lock]) => lock);
    return ordered.reduceRight<() => Promise<T>>((inner, lock) => () => lock.hold(inner), work)();
  }
}

/**
 * One holder at a time, within the process (a queue) and across processes (a lock file with
 * the holder's pid; a file left by a process that died is taken over). Reentrant: work that
 * holds it may call other work that takes it.
 */
export class ClusterLock {
  private readonly holder = new AsyncLocalStorage<ClusterLock>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly waitMs = 120_000,
  ) {}

  async hold<T>(work: () => Promise<T>): Promise<T> {
    if (this.holder.getStore() === this) return work();
    const turn = this.queue.then(async () => {
      await this.acquireFile();
      try {
        return await this.holder.run(this, work);
      } finally {
        await fs.rm(this.file, { force: true });
      }
    });
    this.queue = turn.catch(() => {});
    return turn;
  }

  private async acquireFile(): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      try {
        await fs.writeFile(this.file, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = Number((await fs.readFile(this.file, 'utf8').catch(() => '')).trim());
      // This process holds nothing outside the queue, so a file naming it is a leftover.
      if (!Number.isInteger(owner) || owner <= 0 || owner === process.pid || !isAlive(owner)) {
        await fs.rm(this.file, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `Another shopgraph process (pid ${owner}) has been changing the embedded cluster for ${this.waitMs / 1000} s; wait for it, or stop it.`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
