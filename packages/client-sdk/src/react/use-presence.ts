import type { Presence } from '@tavern/protocol';
import { useEffect, useState } from 'react';
import { useTavernClient } from './context.js';

/** The server's limit of user ids per `presence:subscribe`. */
const SUBSCRIBE_BATCH = 500;

/**
 * Presence of these users, kept current (`presence:subscribe`, again after every
 * reconnect). Users not known yet are absent from the record.
 */
export function usePresence(userIds: readonly string[]): Readonly<Record<string, Presence>> {
  const client = useTavernClient();
  const [presences, setPresences] = useState<Readonly<Record<string, Presence>>>({});
  // A stable key: the same users in another order (or a new array each render) change nothing.
  const key = [...new Set(userIds)].sort().join('\n');

  useEffect(() => {
    const ids = key ? key.split('\n') : [];
    if (ids.length === 0) return;
    const watched = new Set(ids);
    let active = true;
    const merge = (list: readonly Presence[]): void => {
      if (!active) return;
      setPresences((current) => {
        const next = { ...current };
        for (const presence of list) if (watched.has(presence.userId)) next[presence.userId] = presence;
        return next;
      });
    };
    const subscribe = (): void => {
      for (let i = 0; i < ids.length; i += SUBSCRIBE_BATCH) {
        client.request('presence:subscribe', { userIds: ids.slice(i, i + SUBSCRIBE_BATCH) }).then(
          (result) => result.ok && merge(result.data.presences),
          () => undefined, // the next session:ready subscribes again
        );
      }
    };
    const stops = [client.on('presence:changed', (presence) => merge([presence])), client.on('session:ready', subscribe)];
    if (client.state === 'connected') subscribe();
    return () => {
      active = false;
      for (const stop of stops) stop();
      if (client.state === 'connected') {
        for (let i = 0; i < ids.length; i += SUBSCRIBE_BATCH) {
          client.request('presence:unsubscribe', { userIds: ids.slice(i, i + SUBSCRIBE_BATCH) }, { queue: false }).catch(() => undefined);
        }
      }
    };
  }, [client, key]);

  return presences;
}
