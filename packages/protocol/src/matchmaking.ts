/** Matchmaking tickets; a match makes a lobby, and a game room where the mode has one. */
import { z } from 'zod';
import { Empty, Id, Member, Timestamp } from './common.js';
import { command, defineSlice, event } from './define.js';
import { RoomType } from './game-rooms.js';

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
/**
 * The game room made for a match (modes configured with a room type): the receiver's own seat
 * reservation, for `room:join { roomId, reservation }` before `expiresAt`.
 */
export const MatchedRoom = z.object({ roomId: Id, type: RoomType, reservation: Id, expiresAt: Timestamp });
export type MatchedRoom = z.infer<typeof MatchedRoom>;
export const MatchmakingMatched = z.object({
  ticketId: Id,
  lobbyId: Id,
  players: z.array(Member),
  /** Only for a mode configured with a room type: a seat reserved for this player alone. */
  room: MatchedRoom.optional(),
});
export type MatchmakingMatched = z.infer<typeof MatchmakingMatched>;
export const MatchmakingTicketEvent = z.object({ ticketId: Id, message: z.string().optional() });
export const MatchmakingCancelled = z.object({ ticketId: Id });

export const matchmakingCommands = {
  'matchmaking:join': command(MatchmakingJoinPayload, MatchmakingJoinResult, { description: 'Queues for a match; the rating comes from the `mmr` claim.' }),
  'matchmaking:cancel': command(MatchmakingCancelPayload, Empty, { description: 'Leaves the queue; then `matchmaking:cancelled`.' }),
};

export const matchmakingServerEvents = {
  'matchmaking:status': event(MatchmakingStatus, 'Progress of a ticket, every 5 s.'),
  'matchmaking:matched': event(MatchmakingMatched, 'A match was found, with the lobby to join and, where the mode makes a game room, your seat reservation in it.'),
  'matchmaking:expired': event(MatchmakingTicketEvent, 'The ticket expired without a match.'),
  'matchmaking:error': event(MatchmakingTicketEvent, 'The ticket failed.'),
  'matchmaking:cancelled': event(MatchmakingCancelled, 'The ticket was cancelled.'),
};

export const matchmakingSlice = defineSlice({
  id: 'matchmaking',
  title: 'Matchmaking',
  description: 'Matchmaking tickets; a match makes a lobby, and a game room with a seat reserved for each player where the mode has a room type.',
  commands: matchmakingCommands,
  serverEvents: matchmakingServerEvents,
});
