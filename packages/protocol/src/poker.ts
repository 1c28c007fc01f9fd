/** Planning poker: hidden votes revealed together, with consensus figures. */
import { z } from 'zod';
import { DisplayName, Empty, Id, Timestamp } from './common.js';
import { command, defineSlice, event } from './define.js';

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
  'poker:join': command(PokerJoinPayload, PokerSessionResult, { description: 'Joins a planning poker session, creating it on first join (the first joiner facilitates).' }),
  'poker:leave': command(PokerSessionIdPayload, Empty, { description: 'Leaves a planning poker session.' }),
  'poker:vote': command(PokerVotePayload, Empty, { description: "Votes on the current story with a value from the deck; may change until the reveal." }),
  'poker:reveal': command(PokerSessionIdPayload, Empty, { description: 'Reveals the votes (facilitator only).' }),
  'poker:reset': command(PokerSessionIdPayload, Empty, { description: 'Clears the votes for another round (facilitator only).' }),
  'poker:story': command(PokerStoryPayload, PokerStoryResult, { description: 'Sets the story to estimate and clears the votes (facilitator only).' }),
  'poker:timer': command(PokerTimerPayload, PokerTimerResult, { description: 'Starts or stops the round timer.' }),
  'poker:player:update': command(PokerPlayerUpdatePayload, Empty, { description: 'Changes your name or avatar in the session.' }),
};

export const pokerServerEvents = {
  'poker:player:joined': event(PokerPlayerEvent, 'A player joined the session.'),
  'poker:player:left': event(PokerPlayerEvent, 'A player left the session.'),
  'poker:player:updated': event(PokerPlayerEvent, "A player's details changed."),
  'poker:voted': event(PokerVoted, 'A player voted (never the value).'),
  'poker:revealed': event(PokerRevealed, 'The votes and the consensus figures.'),
  'poker:reset': event(PokerReset, 'The votes were cleared.'),
  'poker:story': event(PokerStoryEvent, 'The story to estimate changed.'),
  'poker:timer': event(PokerTimerEvent, 'The round timer started (`endsAt`) or stopped (`null`).'),
  /** Added to PROTOCOL.md's list: the facilitator left and another player took over. */
  'poker:facilitator:changed': event(PokerFacilitatorChanged, 'The facilitator left and another player took over.'),
};

export const pokerSlice = defineSlice({
  id: 'poker',
  title: 'Planning poker',
  description: 'Hidden votes revealed together, with consensus figures.',
  commands: pokerCommands,
  serverEvents: pokerServerEvents,
});
