/**
 * Message content as PROTOCOL.md says: trimmed, control and invisible formatting characters
 * removed (zero-width spaces, bidi overrides and marks, BOM, soft hyphen), 1–2000 characters,
 * well-formed UTF-16 (a lone surrogate is refused), stored as plain text and never
 * interpreted as HTML. The zero-width joiner stays: emoji sequences need it.
 */
import { ErrorCode, MAX_CONTENT_LENGTH } from '@tavern/protocol';
import { AppError } from '../../api.js';

// C0/C1 controls except tab and newline; U+00AD; U+180E; U+200B/C, U+200E/F; U+202A-E;
// U+2060-4; U+2066-9; U+FEFF.
const INVISIBLE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u00AD\u180E\u200B\u200C\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

// With the `u` flag, surrogate pairs are one code point, so only lone halves match.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

export function cleanContent(raw: string): string {
  if (LONE_SURROGATE.test(raw)) throw new AppError(ErrorCode.INVALID_PAYLOAD, 'content is not valid text (lone surrogate)');
  const content = raw.replace(INVISIBLE, '').trim();
  if (content.length === 0) throw new AppError(ErrorCode.INVALID_PAYLOAD, 'content is empty');
  if (content.length > MAX_CONTENT_LENGTH) {
    throw new AppError(ErrorCode.INVALID_PAYLOAD, `content is longer than ${MAX_CONTENT_LENGTH} characters`);
  }
  return content;
}

/** Masks listed words (whole words, any case) with `*`, keeping their length. */
export function createProfanityMask(words: readonly string[]): (content: string) => string {
  const listed = words.map((word) => word.trim()).filter(Boolean);
  if (listed.length === 0) return (content) => content;
  const escaped = listed.map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(?:${escaped.join('|')})(?![\\p{L}\\p{N}])`, 'giu');
  return (content) => content.replace(pattern, (word) => '*'.repeat(word.length));
}

/**
 * A short key for "the same content from the same sender" (spam control): 64 bits of a fast
 * non-cryptographic hash (cyrb53's mixing on two 32-bit lanes) of the sender and the
 * lowercased content. It runs on every send, where SHA-1 cost a few microseconds. Two
 * different messages of one sender match by chance about once in 2^64; then one message is
 * refused as a duplicate, which the sender can simply send again.
 */
export function contentKey(senderId: string, content: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  const text = `${senderId}\u0000${content.toLowerCase()}`;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return `${(h2 >>> 0).toString(36)}.${(h1 >>> 0).toString(36)}`;
}
