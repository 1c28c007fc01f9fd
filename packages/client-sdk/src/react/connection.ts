import type { ServerEventName, ServerPayload, SessionReady } from '@tavern/protocol';
import { useCallback, useEffect, useRef, useSyncExternalStore } from 'react';
import type { ConnectionState } from '../create-client.js';
import { useTavernClient } from './context.js';

/** `connecting`, `connected`, `reconnecting`, ...: re-renders on every change. */
export function useConnectionState(): ConnectionState {
  const client = useTavernClient();
  const subscribe = useCallback((onChange: () => void) => client.onStateChange(onChange), [client]);
  return useSyncExternalStore(subscribe, () => client.state);
}

/** The last `session:ready` (who this user is, the server's limits), or null before it. */
export function useSession(): SessionReady | null {
  const client = useTavernClient();
  const subscribe = useCallback((onChange: () => void) => client.on('session:ready', onChange), [client]);
  return useSyncExternalStore(subscribe, () => client.session);
}

/** Calls `listener` for every `event` while the component is mounted (always the latest listener). */
export function useServerEvent<E extends ServerEventName>(event: E, listener: (data: ServerPayload<E>) => void): void {
  const client = useTavernClient();
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => client.on(event, (data) => latest.current(data)), [client, event]);
}
