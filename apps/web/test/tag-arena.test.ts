/**
 * The demo's game through real sockets and the SDK, on the server `pnpm start` runs: a touch
 * passes it, bad targets are refused, and nobody ever receives where another runner is heading.
 */
import { createClient, withRooms } from '@tavern/client-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoContract, TagArenaView } from '../server/tag-arena.contract.js';
import { startDemoServer } from './start-demo-server.js';

let server: Awaited<ReturnType<typeof startDemoServer>>;
const clients: { close(): void }[] = [];

beforeAll(async () => {
  server = await startDemoServer();
});

afterAll(async () => {
  for (const client of clients) client.close();
  await server?.[Symbol.asyncDispose]();
});

async function devToken(userId: string): Promise<string> {
  const response = await fetch(`${server.url}/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId, name: userId }) });
  return ((await response.json()) as { token: string }).token;
}

/** A player whose every game-room frame (the join's state included) is kept, to search. */
function player(userId: string) {
  const client = withRooms(createClient<DemoContract>({ url: server.url, getToken: () => devToken(userId), socketOptions: { transports: ['websocket'] } }));
  clients.push(client);
  const frames: unknown[] = [];
  client.socket.onAny((event: string, data: unknown) => {
    if (event.startsWith('room:')) frames.push(data);
  });
  return { client, frames };
}

describe('Tag on the demo server', () => {
  it('a touch passes it; bad targets are refused; no frame carries another runner’s target', async () => {
    const ada = player('ada');
    const bo = player('bo');
    const cy = player('cy');
    const adaJoined = await ada.client.rooms.joinOrCreate<TagArenaView>('tag-arena');
    if (!adaJoined.ok) throw new Error(adaJoined.error.message);
    const adaRoom = adaJoined.data;
    expect(adaRoom.state.it).toBe('ada');
    const boJoined = await bo.client.rooms.joinOrCreate<TagArenaView>('tag-arena');
    if (!boJoined.ok) throw new Error(boJoined.error.message);
    const boRoom = boJoined.data;
    expect(boRoom.id).toBe(adaRoom.id);
    bo.frames.push(boRoom.state);

    // Outside the arena, not a number, or from someone without a seat: refused, nothing moves.
    expect(await adaRoom.send('tag:target', { x: 9_999, y: 10 })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await adaRoom.send('tag:target', { x: Number.NaN, y: 10 })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await cy.client.request('tag:target', { roomId: adaRoom.id, x: 100, y: 100 })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(adaRoom.state.target).toEqual({ x: 60, y: 60 });

    // Bo heads for a corner; Ada heads next to it and catches him there.
    expect(await boRoom.send('tag:target', { x: 440, y: 270 })).toEqual({ ok: true, data: {} });
    await expect.poll(() => boRoom.state.target).toEqual({ x: 440, y: 270 });
    expect(await adaRoom.send('tag:target', { x: 430, y: 265 })).toEqual({ ok: true, data: {} });
    await expect.poll(() => boRoom.state.it, { timeout: 15_000 }).toBe('bo');
    expect(boRoom.state.lastTag).toEqual({ by: 'ada', of: 'bo' });
    expect(boRoom.state.runners['ada']?.tags).toBe(1);
    await expect.poll(() => adaRoom.state.it).toBe('bo');

    // Bo's copy, and every frame he got, only ever had his own target.
    expect(boRoom.state.target).toEqual({ x: 440, y: 270 });
    const seen = JSON.stringify(bo.frames);
    expect(seen).not.toMatch(/targetX|targetY/);
    const targetsBoGot = bo.frames.flatMap((frame) => {
      const { state, ops } = frame as { state?: { target?: unknown }; ops?: { path: string; value?: unknown }[] };
      return [...(state?.target !== undefined ? [state.target] : []), ...(ops ?? []).filter((op) => op.path.startsWith('/target')).map((op) => op.value)];
    });
    expect(targetsBoGot.length).toBeGreaterThan(0);
    for (const target of targetsBoGot) expect([{ x: 420, y: 240 }, { x: 440, y: 270 }, 440, 270]).toContainEqual(target);
  });
});
