/**
 * Message content as PROTOCOL.md says: trimmed, control and invisible formatting characters
 * removed (zero-width spaces, bidi overrides and marks, BOM, soft hyphen), 1–2000 characters,
 * well-formed UTF-16 (a lone surrogate is refused), stored as plain text and never
 * interpreted as HTML. The zero-width joiner stays: emoji sequences need it.
 */
import { ErrorCode, MAX_CONTENT_LENGTH } from '@tavern/protocol';
import { hash } from 'node:crypto';
import { AppError } from '../../transport/app-error.js';

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
 * A short key for "the same content from the same sender" (spam control). One-shot `hash`
 * costs half of a `createHash` object per message (it runs on every send).
 */
export function contentKey(senderId: string, content: string): string {
  return hash('sha1', `${senderId}\u0000${content.toLowerCase()}`, 'base64url');
}
