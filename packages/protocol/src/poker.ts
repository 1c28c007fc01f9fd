/** Planning poker: hidden votes revealed together, with consensus figures. */
import { z } from 'zod';
import { DisplayName, Empty, Id, Timestamp } from './common.js';
import { command } from './define.js';

/** The default deck: Fibonacci plus "?" and "coffee". */
export const DEFAULT_DECK = ['0', '1', '2', '3', '5', '8', '13', '21', '34', '55', '89', '?', 'coffee'] as const;

export const PokerRole = z.enum(['player', 'observer']);
export const Avatar = z.string().max(256);

export const PokerPlayer = z.object({
  id: Id,
  name: z.string(),
  avatar: z.string().optional(),
  role: PokerRole,
  connected: z.boolean(),
  hasVoted: z.boolean(),
});
export type PokerPlayer = z.infer<typeof PokerPlayer>;

export const Story = z.object({ id: Id, title: z.string(), description: z.string().optional() });
export type Story = z.infer<typeof Story>;

export const PokerVote = z.object({ playerId: Id, value: z.string(), confidence: z.number().int().min(1).max(5).optional() });
export type PokerVote = z.infer<typeof PokerVote>;

export const Consensus = z.object({
  /** Mean of the numeric votes, null when there are none. */
  average: z.number().nullable(),
  median: z.number().nullable(),
  /** The most frequent value (numeric or not), null without votes. */
  mode: z.string().nullable(),
  /** Share of votes equal to the mode, 0..1. */
  agreement: z.number().min(0).max(1),
});
export type Consensus = z.infer<typeof Consensus>;

export const PokerSession = z.object({
  id: Id,
  facilitatorId: Id,
  players: z.array(PokerPlayer),
  story: Story.nullable(),
  deck: z.array(z.string()),
  revealed: z.boolean(),
  /** Only after the reveal. */
  votes: z.array(PokerVote).optional(),
  consensus: Consensus.optional(),
  timer: z.object({ endsAt: Timestamp.nullable() }),
});
export type PokerSession = z.infer<typeof PokerSession>;

export const PokerJoinPayload = z.object({
  sessionId: Id,
  name: DisplayName.optional(),
  avatar: Avatar.optional(),
  role: PokerRole.optional(),
});
export const PokerSessionResult = z.object({ session: PokerSession });
export const PokerSessionIdPayload = z.object({ sessionId: Id });
export const PokerVotePayload = z.object({
  sessionId: Id,
  storyId: Id,
  value: z.string().min(1).max(16),
  confidence: z.number().int().min(1).max(5).optional(),
});
export const PokerStoryPayload = z.object({
  sessionId: Id,
  title: z.string().trim().min(1).max(200),
  description: z.string().max(2000).optional(),
});
export const PokerStoryResult = z.object({ story: Story });
export const PokerTimerPayload = z.object({
  sessionId: Id,
  action: z.enum(['start', 'stop']),
  seconds: z.number().int().min(5).max(3600).optional(),
});
export const PokerTimerResult = z.object({ endsAt: Timestamp.nullable() });
export const PokerPlayerUpdatePayload = z.object({ sessionId: Id, name: DisplayName.optional(), avatar: Avatar.optional() });

export const PokerPlayerEvent = z.object({ sessionId: Id, player: PokerPlayer, playerCount: z.number().int().nonnegative() });
export const PokerVoted = z.object({
  sessionId: Id,
  playerId: Id,
  hasVoted: z.boolean(),
  voteCount: z.number().int().nonnegative(),
});
export const PokerRevealed = z.object({ sessionId: Id, votes: z.array(PokerVote), consensus: Consensus });
export const PokerReset = z.object({ sessionId: Id });
export const PokerStoryEvent = z.object({ sessionId: Id, story: Story });
export const PokerTimerEvent = z.object({ sessionId: Id, endsAt: Timestamp.nullable() });
export const PokerFacilitatorChanged = z.object({ sessionId: Id, facilitatorId: Id });

export const pokerCommands = {
  'poker:join': command(PokerJoinPayload, PokerSessionResult),
  'poker:leave': command(PokerSessionIdPayload, Empty),
  'poker:vote': command(PokerVotePayload, Empty),
  'poker:reveal': command(PokerSessionIdPayload, Empty),
  'poker:reset': command(PokerSessionIdPayload, Empty),
  'poker:story': command(PokerStoryPayload, PokerStoryResult),
  'poker:timer': command(PokerTimerPayload, PokerTimerResult),
  'poker:player:update': command(PokerPlayerUpdatePayload, Empty),
};

export const pokerServerEvents = {
  'poker:player:joined': PokerPlayerEvent,
  'poker:player:left': PokerPlayerEvent,
  'poker:player:updated': PokerPlayerEvent,
  'poker:voted': PokerVoted,
  'poker:revealed': PokerRevealed,
  'poker:reset': PokerReset,
  'poker:story': PokerStoryEvent,
  'poker:timer': PokerTimerEvent,
  /** Added to PROTOCOL.md's list: the facilitator left and another player took over. */
  'poker:facilitator:changed': PokerFacilitatorChanged,
};
