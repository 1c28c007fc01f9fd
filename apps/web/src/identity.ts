/**
 * Who the visitor is. The demo runs against a server in dev mode: it asks `POST /dev/token`
 * for a token in the visitor's name. A real game gets its token from its own login instead.
 * The identity lives in sessionStorage, so a reload is the same player (no presence flicker)
 * and every tab is a new one.
 */
export interface Identity {
  userId: string;
  name: string;
}

const KEY = 'tavern-square:identity';

export function savedIdentity(): Identity | null {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Identity | null;
    return saved && typeof saved.userId === 'string' && typeof saved.name === 'string' ? saved : null;
  } catch {
    return null;
  }
}

export function newIdentity(name: string): Identity {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'guest';
  const identity = { userId: `${slug}-${Math.random().toString(36).slice(2, 8)}`, name };
  sessionStorage.setItem(KEY, JSON.stringify(identity));
  return identity;
}

export function forgetIdentity(): void {
  sessionStorage.removeItem(KEY);
}

export async function devToken(identity: Identity): Promise<string> {
  const response = await fetch('/dev/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId: identity.userId, name: identity.name, characterId: identity.userId }),
  });
  if (!response.ok) throw new Error(`POST /dev/token answered ${response.status}: is the server in dev mode?`);
  const { token } = (await response.json()) as { token: string };
  return token;
}
