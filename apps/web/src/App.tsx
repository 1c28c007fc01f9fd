import { createClient, withRooms, type GameRooms, type TavernClient } from '@tavern/client-sdk';
import { TavernProvider } from '@tavern/client-sdk/react';
import { useEffect, useState, type FormEvent } from 'react';
import type { DemoContract } from '../server/tag-arena.contract.js';
import { devToken, forgetIdentity, newIdentity, savedIdentity, type Identity } from './identity.js';
import { Square } from './Square.js';

export function App() {
  const [identity, setIdentity] = useState<Identity | null>(savedIdentity);
  const [client, setClient] = useState<(TavernClient<DemoContract> & { readonly rooms: GameRooms<DemoContract> }) | null>(null);

  useEffect(() => {
    if (!identity) return;
    // Typed by the demo server's contract (types only: nothing of it is bundled), with game rooms.
    const created = withRooms(createClient<DemoContract>({ url: window.location.origin, getToken: () => devToken(identity) }));
    setClient(created);
    return () => {
      created.rooms.dispose();
      created.close();
    };
  }, [identity]);

  if (!identity) return <Welcome onName={(name) => setIdentity(newIdentity(name))} />;
  if (!client) return null;
  return (
    <TavernProvider client={client}>
      <Square
        identity={identity}
        rooms={client.rooms}
        onLeave={() => {
          forgetIdentity();
          setIdentity(null);
        }}
      />
    </TavernProvider>
  );
}

function Welcome({ onName }: { onName: (name: string) => void }) {
  const [name, setName] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (name.trim()) onName(name.trim());
  };
  return (
    <main className="welcome">
      <h1>Tavern Square</h1>
      <p>A small town square running on Tavern: walk around, chat, whisper, form a party, play planning poker and a game of tag.</p>
      <form onSubmit={submit}>
        <label>
          Your name
          <input data-testid="name" autoFocus maxLength={32} value={name} onChange={(event) => setName(event.target.value)} />
        </label>
        <button type="submit" disabled={!name.trim()}>
          Enter the square
        </button>
      </form>
    </main>
  );
}
