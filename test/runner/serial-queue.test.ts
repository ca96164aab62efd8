/** SerialQueue (src/runner/serial-queue.ts): jobs in order, one at a time; the first failure stops the rest and comes back once asked. */
import { describe, expect, test } from 'vitest';
import { SerialQueue } from '../../src/runner/serial-queue.js';

const tick = () => new Promise<void>((r) => setTimeout(r, 1));

describe('SerialQueue', () => {
  test('runs jobs one after another in the order added', async () => {
    const q = new SerialQueue();
    const log: string[] = [];
    for (const name of ['a', 'b', 'c'])
      q.add(async () => {
        log.push(`${name}+`);
        await tick();
        log.push(`${name}-`);
      });
    await q.drain();
    expect(log).toEqual(['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
  });

  test('the first failure skips later jobs and is thrown by throwIfFailed and drain', async () => {
    const q = new SerialQueue();
    const ran: string[] = [];
    q.add(() => {
      ran.push('a');
    });
    q.add(() => {
      throw new Error('boom');
    });
    q.add(() => {
      ran.push('c');
    });
    expect(() => q.throwIfFailed()).not.toThrow();
    await q.settled();
    expect(() => q.throwIfFailed()).toThrow('boom');
    await expect(q.drain()).rejects.toThrow('boom');
    expect(ran).toEqual(['a']);
  });
});
