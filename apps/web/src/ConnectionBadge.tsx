import { useConnectionState } from '@tavern/client-sdk/react';
import { useSyncExternalStore } from 'react';

function subscribeOnline(onChange: () => void) {
  window.addEventListener('online', onChange);
  window.addEventListener('offline', onChange);
  return () => {
    window.removeEventListener('online', onChange);
    window.removeEventListener('offline', onChange);
  };
}

/** Always visible: connected, connecting, reconnecting (commands are queued), or offline. */
export function ConnectionBadge() {
  const state = useConnectionState();
  const online = useSyncExternalStore(subscribeOnline, () => navigator.onLine);
  const shown = !online && state !== 'connected' ? 'offline' : state;
  return (
    <span className={`connection connection-${shown}`} data-testid="connection" data-state={shown}>
      {shown}
    </span>
  );
}
