/** What the bot decides, as pure functions: where to walk next and what to answer. */
import type { Point, Zone } from '@tavern/client-sdk';

/** A random point in the zone, `margin` units away from its edges. */
export function randomPoint(zone: Pick<Zone, 'width' | 'height'>, random: () => number, margin = 10): Point {
  const inner = (size: number) => Math.min(margin, size / 2) + random() * Math.max(0, size - 2 * margin);
  return { x: inner(zone.width), y: inner(zone.height) };
}

/** One step of at most `maxStep` units from `from` towards `to`, kept inside the zone. */
export function stepToward(from: Point, to: Point, maxStep: number, zone: Pick<Zone, 'width' | 'height'>): Point {
  const distance = Math.hypot(to.x - from.x, to.y - from.y);
  const next = distance <= maxStep ? to : { x: from.x + ((to.x - from.x) / distance) * maxStep, y: from.y + ((to.y - from.y) / distance) * maxStep };
  return { x: clamp(next.x, 0, zone.width), y: clamp(next.y, 0, zone.height) };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/**
 * The bot's answer to a chat message, or null when it was not addressed: `!ping` gets
 * `pong`, `!where` the bot's position, and a message naming the bot (or saying "bot") a hello.
 */
export function replyTo(content: string, context: { botName: string; senderName: string; position: Point | null }): string | null {
  const text = content.trim().toLowerCase();
  if (text === '!ping') return 'pong';
  if (text === '!where') {
    return context.position ? `I am at (${Math.round(context.position.x)}, ${Math.round(context.position.y)})` : 'I am not in a zone yet';
  }
  const words = text.split(/[^\p{L}\p{N}_-]+/u);
  if (words.includes('bot') || text.includes(context.botName.toLowerCase())) {
    return `Hi ${context.senderName}! I am ${context.botName}, a Tavern example bot. Try !ping or !where.`;
  }
  return null;
}
