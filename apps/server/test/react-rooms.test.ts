// @vitest-environment happy-dom
/** useGameRoom against a real server: the hook re-renders with the synced view and when the seat ends. */
import { createClient, GameRooms, type GameRoom } from '@tavern/client-sdk';
import { useGameRoom } from '@tavern/client-sdk/react';
import { builtInSlices, defineContract, gameRoomSlice } from '@tavern/protocol';
import { renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it, onTestFinished } from 'vitest';
import { presets } from '../src/presets.js';
import { gameRoomsFeature } from '../src/features/index.js';
import { arenaRoom, arenaSlice, type arenaView } from './support/arena-room.js';
import { startTestServer } from './support/start-test-server.js';

const contract = defineContract(...builtInSlices, gameRoomSlice, arenaSlice);
type ArenaView = ReturnType<typeof arenaView>;

describe('useGameRoom', () => {
  it('renders the synced view of a room, and its end', async () => {
    await using server = await startTestServer({ features: [...presets.chat, gameRoomsFeature, arenaRoom] });
    const client = createClient({ url: server.url, getToken: () => server.token('ada'), contract, socketOptions: { transports: ['websocket'] } });
    const rooms = new GameRooms(client);
    onTestFinished(() => {
      rooms.dispose();
      client.close();
    });
    const joined = await rooms.create<ArenaView>('arena');
    if (!joined.ok) throw new Error(joined.error.code);
    const room: GameRoom<ArenaView, typeof contract> = joined.data;
    const { result } = renderHook(() => useGameRoom(room));
    expect(result.current.state?.players['ada']).toMatchObject({ x: 0, y: 0 });

    await room.send('arena:move', { dx: 2, dy: 1 });
    await waitFor(() => expect(result.current.state?.players['ada']).toMatchObject({ x: 2, y: 1 }));
    const before = result.current.state;
    await room.send('arena:move', { dx: 1, dy: 0 });
    await waitFor(() => expect(result.current.state?.players['ada']?.x).toBe(3));
    expect(result.current.state?.notes).toBe(before?.notes); // what did not change keeps its identity

    await room.leave();
    await waitFor(() => expect(result.current.ended).toBe('left'));
  });
});
