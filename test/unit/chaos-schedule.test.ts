import { describe, expect, it } from 'vitest';
import { issue11Schedule, randomSchedule, type Step } from '../chaos/schedule.js';

const seeds = Array.from({ length: 300 }, (_, index) => 1000 + index);
const stepsOf = (seed: number) => randomSchedule(seed).faults.flatMap((fault) => fault.steps);

describe('chaos fault schedules', () => {
  it('are drawn the same from the same seed, so a failing one can be run again', () => {
    for (const seed of seeds.slice(0, 20)) expect(randomSchedule(seed)).toEqual(randomSchedule(seed));
    expect(randomSchedule(1)).not.toEqual(randomSchedule(2));
  });

  it('hold one or two faults, each with its steps in time order', () => {
    for (const seed of seeds) {
      const { faults } = randomSchedule(seed);
      expect(faults.length === 1 || faults.length === 2).toBe(true);
      for (const { steps } of faults) expect(steps.map((step) => step.at)).toEqual([...steps.map((step) => step.at)].sort((a, b) => a - b));
    }
  });

  it('undo every fault they cause: a kill is followed by a start, a pause by a resume, a cut by a restore', () => {
    const undo: Partial<Record<Step['action'], Step['action']>> = { kill: 'start', pause: 'resume', cut: 'restore' };
    for (const seed of seeds) {
      for (const { steps } of randomSchedule(seed).faults) {
        steps.forEach((step, index) => {
          const repair = undo[step.action];
          if (!repair || !('node' in step)) return;
          expect(steps.slice(index + 1).some((later) => later.action === repair && 'node' in later && later.node === step.node)).toBe(true);
        });
      }
    }
  });

  it('promote at most once, and only to replace the primary', () => {
    for (const seed of seeds) {
      const steps = stepsOf(seed);
      expect(steps.filter((step) => step.action === 'promote').length).toBeLessThanOrEqual(1);
      for (const step of steps)
        if (step.action === 'pause' && step.node === 'NEW') expect(steps.some((s) => s.action === 'promote')).toBe(true);
    }
  });

  it('draw every fault of the catalogue over a few hundred seeds', () => {
    const actions = new Set(seeds.flatMap((seed) => stepsOf(seed).map((step) => step.action)));
    expect([...actions].sort()).toEqual(
      ['cut', 'kill', 'pause', 'promote', 'replay', 'restart-server', 'restore', 'resume', 'start'].sort(),
    );
    const promotions = new Set(seeds.flatMap((seed) => stepsOf(seed).flatMap((step) => (step.action === 'promote' ? [step.how] : []))));
    expect(promotions).toEqual(new Set(['pg_ctl promote', 'cluster failover']));
  });

  it('include the schedule of issue 11: the primary killed, a plain promotion, the old primary back as it was, the new one paused', () => {
    const [fault] = issue11Schedule(5).faults;
    expect(fault!.steps.map((step) => [step.action, 'node' in step ? step.node : step.action === 'promote' ? step.how : ''])).toEqual([
      ['kill', 'P'],
      ['promote', 'pg_ctl promote'],
      ['start', 'P'],
      ['pause', 'NEW'],
      ['resume', 'NEW'],
    ]);
    const pause = fault!.steps[4]!.at - fault!.steps[3]!.at;
    expect(pause).toBeGreaterThanOrEqual(1500);
    expect(pause).toBeLessThanOrEqual(3000);
  });
});
