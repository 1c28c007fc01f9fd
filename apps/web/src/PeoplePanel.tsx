import { usePresence, useTavernClient } from '@tavern/client-sdk/react';
import { useEffect, useReducer, useState } from 'react';
import type { ZoneView } from './use-zone.js';

/** Positions change every frame outside React; the list shows them a few times a second. */
const REFRESH_MS = 250;

/**
 * Everyone met in the zone, with their presence status: who is here (and where), and who
 * left (their status turns `offline` once the server's grace period is over).
 */
export function PeoplePanel({ view, onWhisper }: { view: ZoneView; onWhisper: (userId: string) => void }) {
  const client = useTavernClient();
  const [met, setMet] = useState<ReadonlyMap<string, string>>(new Map());
  const [, refresh] = useReducer((n: number) => n + 1, 0);
  const [note, setNote] = useState<string | null>(null);
  const presences = usePresence([...met.keys()]);

  useEffect(() => {
    setMet((current) => {
      const missing = view.players.filter((player) => current.get(player.userId) !== player.name);
      return missing.length === 0 ? current : new Map([...current, ...missing.map((player) => [player.userId, player.name] as const)]);
    });
  }, [view.players]);
  useEffect(() => {
    const timer = setInterval(refresh, REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  const invite = async (userId: string) => {
    const invited = await client.request('party:invite', { userId });
    if (invited.ok || invited.error.code !== 'PRECONDITION_FAILED') return setNote(invited.ok ? 'invitation sent' : invited.error.message);
    // Not in a party yet: start one, then invite.
    await client.request('party:create', {});
    const again = await client.request('party:invite', { userId });
    setNote(again.ok ? 'invitation sent' : again.error.message);
  };

  const here = new Map(view.players.map((player) => [player.userId, player]));
  return (
    <section className="panel">
      <h2>People ({here.size} here)</h2>
      <ul data-testid="people">
        {[...met].map(([userId, name]) => {
          const player = here.get(userId);
          const avatar = player && view.avatars.get(player.characterId);
          const status = presences[userId]?.status ?? (player ? 'online' : 'offline');
          return (
            <li
              key={userId}
              data-testid="person"
              data-user={userId}
              data-status={status}
              data-here={player ? 'yes' : 'no'}
              {...(avatar && { 'data-x': Math.round(avatar.to.x), 'data-y': Math.round(avatar.to.y) })}
            >
              <span className={`dot dot-${status}`} title={status} /> {name} <small>{status}</small>
              {avatar && <small className="where"> ({Math.round(avatar.to.x)}, {Math.round(avatar.to.y)})</small>}
              <span className="actions">
                <button onClick={() => onWhisper(userId)}>Whisper</button>
                <button onClick={() => void invite(userId)}>Invite</button>
              </span>
            </li>
          );
        })}
      </ul>
      {note && <p className="note">{note}</p>}
    </section>
  );
}
