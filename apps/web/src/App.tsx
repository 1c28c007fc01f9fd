import { createClient, type TavernClient } from '@tavern/client-sdk';
import { TavernProvider } from '@tavern/client-sdk/react';
import { useEffect, useState, type FormEvent } from 'react';
import { devToken, forgetIdentity, newIdentity, savedIdentity, type Identity } from './identity.js';
import { Square } from './Square.js';

export function App() {
  const [identity, setIdentity] = useState<Identity | null>(savedIdentity);
  const [client, setClient] = useState<TavernClient | null>(null);

  useEffect(() => {
    if (!identity) return;
    const created = createClient({ url: window.location.origin, getToken: () => devToken(identity) });
    setClient(created);
    return () => created.close();
  }, [identity]);

  if (!identity) return <Welcome onName={(name) => setIdentity(newIdentity(name))} />;
  if (!client) return null;
  return (
    <TavernProvider client={client}>
      <Square
        identity={identity}
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
      <p>A small town square running on Tavern: walk around, chat, whisper, form a party and play planning poker.</p>
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
