import type { Notification } from '@tavern/client-sdk';
import { useServerEvent, useTavernClient } from '@tavern/client-sdk/react';
import { useState } from 'react';

/** The unread badge (the server sends the count on connect and on every change) and the list. */
export function Notifications() {
  const client = useTavernClient();
  const [unread, setUnread] = useState(0);
  const [open, setOpen] = useState<readonly Notification[] | null>(null);
  useServerEvent('notification:count', ({ unread: count }) => setUnread(count));

  const toggle = async () => {
    if (open) return setOpen(null);
    const result = await client.request('notification:list', { limit: 20 });
    if (!result.ok) return;
    setOpen(result.data.notifications);
    if (result.data.notifications.some((n) => !n.read)) await client.request('notification:read', { all: true });
  };

  return (
    <span className="notifications">
      <button onClick={() => void toggle()} aria-label="notifications" data-testid="notifications">
        Inbox{unread > 0 && <span className="badge" data-testid="unread">{unread}</span>}
      </button>
      {open && (
        <ul className="dropdown">
          {open.length === 0 && <li className="muted">Nothing yet.</li>}
          {open.map((n) => (
            <li key={n.id} className={n.read ? undefined : 'unread'}>
              <b>{n.title}</b> {n.body}
            </li>
          ))}
        </ul>
      )}
    </span>
  );
}
