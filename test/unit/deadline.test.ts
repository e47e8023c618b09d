import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Deadline } from '../../src/cluster/index.js';

describe('a request deadline', () => {
  it('passes after its timeout and tells each listener once', async () => {
    const deadline = new Deadline(5);
    const calls: string[] = [];
    deadline.whenPassed(() => calls.push('a'));
    deadline.whenPassed(() => calls.push('b'));
    expect(deadline.passed).toBe(false);
    await sleep(30);
    expect(deadline.passed).toBe(true);
    expect(calls).toEqual(['a', 'b']);
  });

  it('does not tell a listener that stopped waiting', async () => {
    const deadline = new Deadline(5);
    let called = false;
    const stop = deadline.whenPassed(() => (called = true));
    stop();
    await sleep(30);
    expect(deadline.passed).toBe(true);
    expect(called).toBe(false);
  });

  it('passes after its timeout though nothing waits for it', async () => {
    const deadline = new Deadline(5);
    await sleep(30);
    expect(deadline.passed).toBe(true);
  });

  it('tells a listener that comes after its time is up', async () => {
    const deadline = new Deadline(5);
    await sleep(30);
    let called = false;
    deadline.whenPassed(() => (called = true));
    await sleep(10);
    expect(called).toBe(true);
  });

  it('never passes once the request is done and it is cleared', async () => {
    const deadline = new Deadline(5);
    let called = false;
    deadline.whenPassed(() => (called = true));
    deadline.clear();
    await sleep(30);
    expect(deadline.passed).toBe(false);
    expect(called).toBe(false);
  });
});
