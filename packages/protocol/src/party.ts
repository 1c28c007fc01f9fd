/** Parties (small groups with a leader) and guilds. */
import { z } from 'zod';
import { Empty, Id, Member } from './common.js';
import { command } from './define.js';

export const Party = z.object({ id: Id, leaderId: Id, members: z.array(Member) });
export type Party = z.infer<typeof Party>;

export const PartyResult = z.object({ party: Party });
export const PartyInvitePayload = z.object({ userId: Id });
export const PartyIdPayload = z.object({ partyId: Id });
export const PartyKickPayload = z.object({ userId: Id });

export const PartyInvited = z.object({ partyId: Id, from: Member });
export const PartyUpdated = z.object({ party: Party });
export const PartyDisbanded = z.object({ partyId: Id });

export const partyCommands = {
  'party:create': command(Empty, PartyResult),
  'party:invite': command(PartyInvitePayload, Empty),
  'party:accept': command(PartyIdPayload, PartyResult),
  'party:decline': command(PartyIdPayload, Empty),
  'party:leave': command(Empty, Empty),
  'party:kick': command(PartyKickPayload, Empty),
};

export const partyServerEvents = {
  'party:invited': PartyInvited,
  'party:updated': PartyUpdated,
  'party:disbanded': PartyDisbanded,
};
