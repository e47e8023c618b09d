import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ByteBoundedCache, documentBytes } from '../../src/graphql/byte-cache.js';

const bySize = (_: string, value: string) => value.length;

describe('a byte-bounded cache', () => {
  it('forgets its least recently used entries to stay within its bytes', () => {
    const cache = new ByteBoundedCache('test', 10, bySize);
    cache.set('a', 'aaaa');
    cache.set('b', 'bbbb');
    expect(cache.get('a')).toBe('aaaa');
    cache.set('c', 'cccc');
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c')]).toEqual(['aaaa', 'cccc']);
    expect(cache.bytes).toBe(8);
  });

  it('forgets, when every entry was read since it came in, the one that came in first', () => {
    const cache = new ByteBoundedCache('test', 12, bySize);
    for (const key of ['a', 'b', 'c']) cache.set(key, key.repeat(4));
    for (const key of ['c', 'a', 'b']) cache.get(key);
    cache.set('d', 'dddd');
    expect(cache.get('a')).toBeUndefined();
    expect([cache.get('b'), cache.get('c'), cache.get('d')]).toEqual(['bbbb', 'cccc', 'dddd']);
  });

  it('keeps nothing of an entry larger than its whole bound', () => {
    const cache = new ByteBoundedCache('test', 10, bySize);
    cache.set('a', 'aaaa');
    cache.set('big', 'x'.repeat(11));
    expect(cache.get('big')).toBeUndefined();
    expect(cache.get('a')).toBe('aaaa');
  });

  it('tells of every entry that leaves: evicted to make room, replaced, or deleted', () => {
    const removed: string[] = [];
    const cache = new ByteBoundedCache('test', 10, bySize, (key, value) => removed.push(`${key}=${value}`));
    cache.set('a', 'aaaa');
    cache.set('b', 'bbbb');
    cache.set('c', 'cccc');
    cache.set('b', 'bb');
    cache.delete('c');
    cache.delete('nothing');
    expect(removed).toEqual(['a=aaaa', 'b=bbbb', 'c=cccc']);
  });

  it('counts a replaced entry once', () => {
    const cache = new ByteBoundedCache('test', 10, bySize);
    cache.set('a', 'aaaa');
    cache.set('a', 'aa');
    expect([cache.bytes, cache.size]).toEqual([2, 1]);
  });
});

describe('the size of a parsed document', () => {
  it('counts its source text, comments included, and its tokens', () => {
    const plain = documentBytes(parse('{ __typename }'));
    const padded = documentBytes(parse(`{ __typename } # ${'x'.repeat(100_000)}`));
    expect(padded - plain).toBeGreaterThanOrEqual(100_000);
    expect(documentBytes(parse('{ a b c d e f g h }'))).toBeGreaterThan(plain + 6 * 300);
  });
});
