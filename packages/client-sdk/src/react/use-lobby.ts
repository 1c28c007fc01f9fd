import type { Lobby } from '@tavern/protocol';
import { useEffect, useState } from 'react';
import { SessionTracker } from '../resubscribe.js';
import { useTavernClient } from './context.js';
import { toError, type TavernError } from './to-error.js';

export interface LobbyView {
  /** The lobby as it is now (also after a reconnect), or null before the first answer. */
  lobby: Lobby | null;
  /** Why it ended: `lobby:closed` (e.g. `empty`) or `started`; null while it is open. */
  ended: string | null;
  error: TavernError | null;
}

/** Follows a lobby this user is a member of (created or joined with `lobby:create` / `lobby:join`). */
export function useLobby(lobbyId: string | null): LobbyView {
  const client = useTavernClient();
  const [view, setView] = useState<LobbyView>({ lobby: null, ended: null, error: null });

  useEffect(() => {
    setView({ lobby: null, ended: null, error: null });
    if (!lobbyId) return;
    let active = true;
    const update = (change: (view: LobbyView) => LobbyView): void => {
      if (active) setView(change);
    };
    const tracker = new SessionTracker(client);
    tracker.lobby(lobbyId, (lobby) => update((view) => ({ ...view, lobby, error: null }))).then(
      (result) => !result.ok && update((view) => ({ ...view, error: result.error })),
      (error: unknown) => update((view) => ({ ...view, error: toError(error) })),
    );
    const stops = [
      client.on('lobby:closed', (event) => event.lobbyId === lobbyId && update((view) => ({ ...view, ended: event.reason }))),
      client.on('lobby:started', (event) => event.lobbyId === lobbyId && update((view) => ({ ...view, ended: 'started' }))),
    ];
    return () => {
      active = false;
      for (const stop of stops) stop();
      tracker.dispose();
    };
  }, [client, lobbyId]);

  return view;
}
