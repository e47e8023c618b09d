import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs/promises';

/**
 * One change to an embedded cluster at a time: the keeper rebuilding a node, `cluster start`
 * in another shell, a test starting a node. Two of them at once copy over a data directory
 * the other is starting. Held within the process (a queue) and across processes (a lock file
 * with the holder's pid; a file left by a process that died is taken over). Reentrant: work
 * that holds it may call other work that takes it.
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
