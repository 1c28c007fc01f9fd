import { describe, expect, it, vi } from 'vitest';
import { ClientError } from './client-error.js';
import { OfflineQueue, type PendingCommand } from './offline-queue.js';

function command(event: string) {
  return {
    event,
    payload: {},
    timeoutMs: 1000,
    idempotent: false,
    resolve: vi.fn<(result: unknown) => void>(),
    reject: vi.fn<(error: ClientError) => void>(),
  } satisfies PendingCommand;
}

describe('OfflineQueue', () => {
  it('keeps order, and puts requeued commands back in front in their order', () => {
    const queue = new OfflineQueue(10);
    const [a, b, c, d] = [command('a'), command('b'), command('c'), command('d')];
    queue.push(c);
    queue.push(d);
    queue.requeue([a, b]);
    expect(queue.drain().map((item) => item.event)).toEqual(['a', 'b', 'c', 'd']);
    expect(queue.size).toBe(0);
  });

  it('refuses a command over the bound with QUEUE_FULL and keeps the others', () => {
    const queue = new OfflineQueue(1);
    const first = command('first');
    const second = command('second');
    queue.push(first);
    queue.push(second);
    expect(second.reject).toHaveBeenCalledWith(expect.objectContaining({ code: 'QUEUE_FULL' }));
    expect(queue.drain()).toEqual([first]);
  });

  it('rejects everything on rejectAll', () => {
    const queue = new OfflineQueue(5);
    const a = command('a');
    queue.push(a);
    queue.rejectAll((item) => new ClientError('CLOSED', item.event));
    expect(a.reject).toHaveBeenCalledWith(expect.objectContaining({ code: 'CLOSED', message: 'a' }));
    expect(queue.size).toBe(0);
  });
});
