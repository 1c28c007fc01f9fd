import { randomBytes } from 'node:crypto';

/** A random id that fits the protocol's id pattern, e.g. for messages, lobbies and sessions. */
export function randomId(bytes = 12): string {
  return randomBytes(bytes).toString('base64url');
}
