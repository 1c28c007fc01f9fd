/** Matchmaking tickets; a match makes a lobby. */
import { z } from 'zod';
import { Empty, Id, Member } from './common.js';
import { command } from './define.js';

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
  'matchmaking:join': command(MatchmakingJoinPayload, MatchmakingJoinResult),
  'matchmaking:cancel': command(MatchmakingCancelPayload, Empty),
};

export const matchmakingServerEvents = {
  'matchmaking:status': MatchmakingStatus,
  'matchmaking:matched': MatchmakingMatched,
  'matchmaking:expired': MatchmakingTicketEvent,
  'matchmaking:error': MatchmakingTicketEvent,
  'matchmaking:cancelled': MatchmakingCancelled,
};
