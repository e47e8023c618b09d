import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { RedisOutage } from '../../src/graphql/redis.js';

function outageWithLines() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'debug', to: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { outage: new RedisOutage(logger, { down: 'redis down', up: 'redis back' }), lines };
}

describe('a Redis outage as the log tells it', () => {
  it('is told once when Redis stops answering and once when it answers again, however many commands fail', () => {
    const { outage, lines } = outageWithLines();
    outage.answered();
    outage.failed(new Error('connect ECONNREFUSED'), 1000);
    outage.failed(new Error('Command timed out'), 2000);
    expect(outage.startedAt).toBe(1000);
    outage.answered();
    outage.answered();
    expect(outage.startedAt).toBeUndefined();
    expect(lines.map((line) => [line.level, line.msg])).toEqual([
      ['warn', 'redis down'],
      ['info', 'redis back'],
    ]);
  });

  it('names the failure by its class and code, never by its message (which names the host)', () => {
    const { outage, lines } = outageWithLines();
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:6379'), { code: 'ECONNREFUSED' });
    outage.failed(refused);
    expect(lines[0]).toMatchObject({ error: 'Error', cause: 'ECONNREFUSED' });
    expect(JSON.stringify(lines)).not.toContain('10.1.2.3');
  });
});
