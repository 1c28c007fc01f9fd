import type { EventSource } from '@tavern/protocol';
import { useCallback, useSyncExternalStore } from 'react';
import type { GameRoom, RoomEnd } from '../game-rooms.js';

export interface GameRoomView<State> {
  /** The player's copy of their view, a new object after every change (unchanged parts keep their identity). */
  state: State | null;
  /** Why the seat ended, or null while seated. */
  ended: RoomEnd | null;
}

/**
 * Follows a `GameRoom` (from `new GameRooms(client).join(...)` and the like): re-renders on every
 * change of its state and when the seat ends. A thin adapter; the room itself keeps the sync.
 *
 * @example
 * const { state, ended } = useGameRoom(room);
 */
export function useGameRoom<State, K extends EventSource>(room: GameRoom<State, K> | null): GameRoomView<State> {
  const subscribe = useCallback(
    (changed: () => void) => {
      if (!room) return () => undefined;
      const stops = [room.onChange(changed), room.onLeft(changed)];
      return () => {
        for (const stop of stops) stop();
      };
    },
    [room],
  );
  const state = useSyncExternalStore(subscribe, () => room?.state ?? null);
  const ended = useSyncExternalStore(subscribe, () => room?.ended ?? null);
  return { state, ended };
}
