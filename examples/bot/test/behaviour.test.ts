import { describe, expect, it } from 'vitest';
import { randomPoint, replyTo, stepToward } from '../src/behaviour.js';

const zone = { width: 100, height: 50 };

describe('the bot behaviour', () => {
  it('picks points inside the zone, away from its edges', () => {
    expect(randomPoint(zone, () => 0)).toEqual({ x: 10, y: 10 });
    expect(randomPoint(zone, () => 0.999999).x).toBeLessThan(90);
  });

  it('steps at most maxStep towards the goal and stops on it', () => {
    expect(stepToward({ x: 0, y: 0 }, { x: 30, y: 40 }, 5, zone)).toEqual({ x: 3, y: 4 });
    expect(stepToward({ x: 29, y: 39 }, { x: 30, y: 40 }, 5, zone)).toEqual({ x: 30, y: 40 });
    expect(stepToward({ x: 99, y: 49 }, { x: 200, y: 49 }, 5, zone)).toEqual({ x: 100, y: 49 });
  });

  it('answers !ping, !where and its name, and nothing else', () => {
    const context = { botName: 'Botty', senderName: 'Alice', position: { x: 1.4, y: 2.6 } };
    expect(replyTo(' !PING ', context)).toBe('pong');
    expect(replyTo('!where', context)).toBe('I am at (1, 3)');
    expect(replyTo('hello botty', context)).toMatch(/^Hi Alice!/);
    expect(replyTo('is this a bot?', context)).toMatch(/^Hi Alice!/);
    expect(replyTo('robots are fine', context)).toBeNull();
  });
});
