/** Matchmaking tickets; a match makes a lobby. */
import { z } from 'zod';
import { Empty, Id, Member } from './common.js';
import { command, defineSlice, event } from './define.js';

export const MatchmakingJoinPayload = z.object({ mode: Id, region: Id.optional() });
export const MatchmakingJoinResult = z.object({ ticketId: Id });
export const MatchmakingCancelPayload = z.object({ ticketId: Id });

export const MatchmakingStatus = z.object({
  ticketId: Id,
  status: z.enum(['searching', 'relaxing']),
  elapsedMs: z.number().int().nonnegative(),
  /** 0 while the rating window is at its narrowest; grows as the window widens. */
  relaxationLevel: z.number().int().nonnegative(),
  estimatedWaitMs: z.number().int().nonnegative().optional(),
});
export const MatchmakingMatched = z.object({ ticketId: Id, lobbyId: Id, players: z.array(Member) });
export const MatchmakingTicketEvent = z.object({ ticketId: Id, message: z.string().optional() });
export const MatchmakingCancelled = z.object({ ticketId: Id });

export const matchmakingCommands = {
  'matchmaking:join': command(MatchmakingJoinPayload, MatchmakingJoinResult, { description: 'Queues for a match; the rating comes from the `mmr` claim.' }),
  'matchmaking:cancel': command(MatchmakingCancelPayload, Empty, { description: 'Leaves the queue; then `matchmaking:cancelled`.' }),
};

export const matchmakingServerEvents = {
  'matchmaking:status': event(MatchmakingStatus, 'Progress of a ticket, every 5 s.'),
  'matchmaking:matched': event(MatchmakingMatched, 'A match was found, with the lobby to join.'),
  'matchmaking:expired': event(MatchmakingTicketEvent, 'The ticket expired without a match.'),
  'matchmaking:error': event(MatchmakingTicketEvent, 'The ticket failed.'),
  'matchmaking:cancelled': event(MatchmakingCancelled, 'The ticket was cancelled.'),
};

export const matchmakingSlice = defineSlice({
  id: 'matchmaking',
  title: 'Matchmaking',
  description: 'Matchmaking tickets; a match makes a lobby.',
  commands: matchmakingCommands,
  serverEvents: matchmakingServerEvents,
});
