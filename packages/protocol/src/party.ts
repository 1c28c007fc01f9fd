/** Parties (small groups with a leader) and guilds. */
import { z } from 'zod';
import { Empty, Id, Member } from './common.js';
import { command, defineSlice, event } from './define.js';

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
  'party:create': command(Empty, PartyResult, { description: 'Creates a party with you as leader.' }),
  'party:invite': command(PartyInvitePayload, Empty, { description: 'Invites a user to your party; they get `party:invited`.' }),
  'party:accept': command(PartyIdPayload, PartyResult, { description: 'Accepts a party invitation.' }),
  'party:decline': command(PartyIdPayload, Empty, { description: 'Declines a party invitation.' }),
  'party:leave': command(Empty, Empty, { description: 'Leaves your party.' }),
  'party:kick': command(PartyKickPayload, Empty, { description: 'Removes a member from your party (leader only).' }),
};

export const partyServerEvents = {
  'party:invited': event(PartyInvited, 'You were invited to a party.'),
  'party:updated': event(PartyUpdated, "The party's leader or members changed."),
  'party:disbanded': event(PartyDisbanded, 'The party no longer exists.'),
};

export const partySlice = defineSlice({
  id: 'party',
  title: 'Parties',
  description: 'Small groups with a leader.',
  commands: partyCommands,
  serverEvents: partyServerEvents,
});
