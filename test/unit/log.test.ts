import { describe, expect, it } from 'vitest';
import { BatchedLines, createLogger } from '../../src/log.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ to: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

describe('logger', () => {
  it('redacts fields that commonly hold secrets, also one level down', () => {
    const { logger, lines } = capture();
    logger.warn('connecting', { url: 'postgres://user:pw@db/x', node: { password: 'pw', name: 'pg1' } });
    expect(lines[0]).toMatchObject({ level: 'warn', msg: 'connecting', url: '[redacted]', node: { password: '[redacted]', name: 'pg1' } });
  });

  it('writes a request line with its fields, at info level, in the same format', () => {
    const { logger, lines } = capture();
    logger.request({
      requestId: 'r1',
      method: 'POST',
      path: '/graphql',
      status: 200,
      durationMs: 1.5,
      client: '203.0.113.7',
      caller: 'anonymous',
      lane: 'fast',
    });
    expect(lines[0]).toMatchObject({
      level: 'info',
      msg: 'request',
      requestId: 'r1',
      status: 200,
      client: '203.0.113.7',
      caller: 'anonymous',
      lane: 'fast',
    });
    expect(typeof lines[0]!.time).toBe('string');
    logger.info('request', { requestId: 'r1', status: 200 });
    expect(Object.keys(lines[0]!)).toEqual([
      'level',
      'time',
      'requestId',
      'method',
      'path',
      'status',
      'durationMs',
      'client',
      'caller',
      'lane',
      'msg',
    ]);
    expect(Object.keys(lines[1]!)).toEqual(['level', 'time', 'requestId', 'status', 'msg']);
    expect(new Date(lines[0]!.time as string).toISOString()).toBe(lines[0]!.time);
  });

  it('writes no request lines above info level', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', to: (line) => lines.push(line) });
    logger.request({ requestId: 'r1', method: 'GET', path: '/graphql', status: 200, durationMs: 1, client: '127.0.0.1' });
    expect(lines).toEqual([]);
  });
});

describe('batched lines', () => {
  function output() {
    const writes: string[] = [];
    return { writes, out: { write: (text: string) => writes.push(text) } };
  }

  it('writes lines joined, in order, once as many characters as the bound are waiting', () => {
    const { writes, out } = output();
    const lines = new BatchedLines(out, 10, 60_000);
    lines.write('one\n');
    lines.write('two\n');
    expect(writes).toEqual([]);
    lines.write('three\n');
    expect(writes).toEqual(['one\ntwo\nthree\n']);
  });

  it('writes what is waiting a while after the first line, on a quiet server', async () => {
    const { writes, out } = output();
    const lines = new BatchedLines(out, 1_000, 20);
    lines.write('one\n');
    lines.write('two\n');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(writes).toEqual(['one\ntwo\n']);
  });

  it('makes a request line when its batch is written, in order with the others and timed when it was handed over', () => {
    const { writes, out } = output();
    const lines = new BatchedLines(out, 10_000, 60_000);
    lines.write('{"msg":"before"}\n');
    lines.writeRequest(
      { requestId: 'r1', method: 'POST', path: '/graphql', status: 200, durationMs: 1.5, client: '127.0.0.1' },
      Date.UTC(2026, 0, 2, 3, 4, 5, 6),
    );
    lines.write('{"msg":"after"}\n');
    lines.flush();
    const written = writes
      .join('')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(written.map((line) => line.msg)).toEqual(['before', 'request', 'after']);
    expect(written[1]).toEqual({
      level: 'info',
      time: '2026-01-02T03:04:05.006Z',
      requestId: 'r1',
      method: 'POST',
      path: '/graphql',
      status: 200,
      durationMs: 1.5,
      client: '127.0.0.1',
      msg: 'request',
    });
  });

  it('writes what is waiting when asked to, and nothing when nothing is', () => {
    const { writes, out } = output();
    const lines = new BatchedLines(out, 1_000, 60_000);
    lines.flush();
    lines.write('one\n');
    lines.flush();
    lines.flush();
    expect(writes).toEqual(['one\n']);
  });
});
