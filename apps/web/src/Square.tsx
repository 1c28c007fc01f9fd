import type { GameRooms } from '@tavern/client-sdk';
import { useServerEvent, useTavernClient } from '@tavern/client-sdk/react';
import { useState } from 'react';
import { ChatPanel } from './ChatPanel.js';
import { ConnectionBadge } from './ConnectionBadge.js';
import type { Identity } from './identity.js';
import { Notifications } from './Notifications.js';
import { PartyPanel } from './PartyPanel.js';
import { PeoplePanel } from './PeoplePanel.js';
import { PokerPanel } from './PokerPanel.js';
import { TagArenaPanel } from './TagArenaPanel.js';
import type { DemoContract } from '../server/tag-arena.contract.js';
import { useZone } from './use-zone.js';
import { ZoneCanvas } from './ZoneCanvas.js';

const ZONE_ID = 'tavern-district';
const STATUSES = ['online', 'away', 'busy', 'invisible'] as const;

export function Square({ identity, rooms, onLeave }: { identity: Identity; rooms: GameRooms<DemoContract>; onLeave: () => void }) {
  const client = useTavernClient();
  const view = useZone(ZONE_ID, identity.userId);
  const [whisperTo, setWhisperTo] = useState<string | null>(null);
  const [status, setStatus] = useState<(typeof STATUSES)[number]>('online');
  const [announcement, setAnnouncement] = useState<string | null>(null);
  useServerEvent('system:announcement', ({ message }) => setAnnouncement(message));

  const changeStatus = (next: (typeof STATUSES)[number]) => {
    setStatus(next);
    void client.request('presence:set', { status: next });
  };

  return (
    <div className="square">
      <header>
        <h1>Tavern Square</h1>
        <span className="zone-name">{view.zone?.name ?? '…'}</span>
        <ConnectionBadge />
        <span className="spacer" />
        <span data-testid="me">{identity.name}</span>
        <select aria-label="status" value={status} onChange={(event) => changeStatus(event.target.value as (typeof STATUSES)[number])}>
          {STATUSES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <Notifications />
        <button onClick={onLeave}>Leave</button>
      </header>
      {announcement && (
        <div className="announcement" onClick={() => setAnnouncement(null)}>
          Announcement: {announcement}
        </div>
      )}
      <main>
        <section className="world">
          <ZoneCanvas view={view} name={identity.name} />
          <p className="hint">
            Arrow keys or click to walk. {view.corrections > 0 && <span data-testid="corrections">server corrections: {view.corrections}</span>}
          </p>
          <ChatPanel zoneId={view.zone ? view.zone.id : null} players={view.players} whisperTo={whisperTo} onWhisperTo={setWhisperTo} />
        </section>
        <aside>
          <PeoplePanel view={view} onWhisper={setWhisperTo} />
          <PartyPanel me={identity.userId} />
          <PokerPanel name={identity.name} me={identity.userId} />
          <TagArenaPanel rooms={rooms} me={identity.userId} />
        </aside>
      </main>
    </div>
  );
}
