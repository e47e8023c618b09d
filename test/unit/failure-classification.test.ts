import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { classifyFailure, isNodeFailure, RolledBackError, StatementTimeoutError } from '../../src/cluster/failure.js';

const socketError = (code: string) => Object.assign(new Error(`write ${code} 127.0.0.1:5432`), { code });
const serverError = (code: string) => new postgres.PostgresError({ message: 'server says no', code } as never);
/** Drizzle wraps driver errors, keeping them as `cause`. */
const wrapped = (cause: unknown) => new Error('Failed query: select 1', { cause });

describe('classifying a failed statement', () => {
  it.each(['ECONNREFUSED', 'CONNECT_TIMEOUT', 'ENOTFOUND', 'EHOSTUNREACH'])('%s never reached the server', (code) => {
    expect(classifyFailure(socketError(code))).toBe('not-connected');
  });

  it.each(['CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'ECONNRESET', 'EPIPE'])('%s lost a statement that may have run', (code) => {
    expect(classifyFailure(socketError(code))).toBe('connection-lost');
  });

  it.each(['57P01', '57P02', '08006', '08003'])('SQLSTATE %s is a lost connection', (code) => {
    expect(classifyFailure(serverError(code))).toBe('connection-lost');
  });

  it('SQLSTATE 57P03 (cannot connect now) never reached the server', () => {
    expect(classifyFailure(serverError('57P03'))).toBe('not-connected');
  });

  it('SQLSTATE 25006 says the node is read-only now', () => {
    expect(classifyFailure(serverError('25006'))).toBe('read-only');
  });

  it.each(['23505', '22P02', '40001'])("SQLSTATE %s is the statement's own error", (code) => {
    expect(classifyFailure(serverError(code))).toBe('statement');
  });

  it('looks through the errors drizzle wraps around the driver', () => {
    expect(classifyFailure(wrapped(serverError('25006')))).toBe('read-only');
    expect(classifyFailure(wrapped(socketError('ECONNRESET')))).toBe('connection-lost');
  });

  it('treats a statement without an answer in time as timed out, which says nothing yet about its node', () => {
    expect(classifyFailure(new StatementTimeoutError(100))).toBe('timed-out');
    expect(isNodeFailure('timed-out')).toBe(false);
  });

  it('still sees the lost connection behind a rolled-back transaction', () => {
    expect(classifyFailure(new RolledBackError({ cause: socketError('CONNECTION_CLOSED') }))).toBe('connection-lost');
  });
});
