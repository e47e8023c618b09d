import { describe, expect, it } from 'vitest';
import { ModeSettler } from '../../src/cluster/mode-settler.js';

describe('the reported cluster mode', () => {
  it('changes only once the new mode has held for the hold time', () => {
    const mode = new ModeSettler('normal', 2000);
    expect(mode.observe('degraded', 1000)).toBeUndefined();
    expect(mode.observe('degraded', 2500)).toBeUndefined();
    expect(mode.observe('degraded', 3000)).toEqual({ from: 'normal', to: 'degraded', heldMs: 2000 });
    expect(mode.mode).toBe('degraded');
  });

  it('never reports a flap shorter than the hold time', () => {
    const mode = new ModeSettler('normal', 2000);
    const changes = [];
    // Replicas crossing the lag bound back and forth every probe round, for five seconds.
    for (let at = 0; at <= 5000; at += 500) changes.push(mode.observe(at % 1000 === 0 ? 'degraded' : 'normal', at));
    expect(changes.filter((change) => change !== undefined)).toEqual([]);
    expect(mode.mode).toBe('normal');
  });

  it('starts the wait again when the mode it waits on changes', () => {
    const mode = new ModeSettler('normal', 2000);
    mode.observe('degraded', 0);
    mode.observe('read-only', 1500);
    expect(mode.observe('read-only', 3000)).toBeUndefined();
    expect(mode.observe('read-only', 3500)).toEqual({ from: 'normal', to: 'read-only', heldMs: 2000 });
  });

  it('reports at once with no hold time', () => {
    expect(new ModeSettler('normal', 0).observe('unavailable', 10)).toEqual({ from: 'normal', to: 'unavailable', heldMs: 0 });
  });
});
