/** Recognising and reading server frames by their bytes, without parsing them. */

export const CHAT_MESSAGE = Buffer.from('42["chat:message"');
export const ZONE_SNAPSHOT = Buffer.from('42["zone:snapshot"');
export const CHARACTER_MOVED = Buffer.from('42["character:moved"');
export const CHARACTER_CORRECTION = Buffer.from('42["character:correction"');
export const ERROR_EVENT = Buffer.from('42["error"');
export const RATE_LIMITED = Buffer.from('42["rate:limited"');
export const SESSION_ENDED = Buffer.from('42["session:ended"');
export const CONTENT_KEY = Buffer.from('"content":"');
export const CHARACTER_ID_KEY = Buffer.from('"characterId"');

/** Reads the send timestamp at the start of a chat message's content (`"<epoch ms> tag"`). */
export function sentAt(frame: Buffer): number {
  const at = frame.indexOf(CONTENT_KEY);
  if (at < 0) return Number.NaN;
  let value = 0;
  let scale = 0;
  for (let index = at + CONTENT_KEY.length; index < frame.length; index++) {
    const byte = frame[index] ?? 0;
    if (byte === 0x2e) {
      scale = 1;
    } else if (byte >= 0x30 && byte <= 0x39) {
      value = value * 10 + (byte - 0x30);
      if (scale) scale *= 10;
    } else {
      break;
    }
  }
  return scale ? value / scale : value;
}

export function countOccurrences(frame: Buffer, needle: Buffer): number {
  let count = 0;
  let at = frame.indexOf(needle);
  while (at >= 0) {
    count++;
    at = frame.indexOf(needle, at + needle.length);
  }
  return count;
}
