import type { Party, ServerPayload } from '@tavern/client-sdk';

type PartyInvited = ServerPayload<'party:invited'>;
import { useServerEvent, useTavernClient } from '@tavern/client-sdk/react';
import { useState } from 'react';

/** The party this player is in, and invitations waiting for an answer. */
export function PartyPanel({ me }: { me: string }) {
  const client = useTavernClient();
  const [party, setParty] = useState<Party | null>(null);
  const [invites, setInvites] = useState<readonly PartyInvited[]>([]);

  useServerEvent('party:invited', (invite) => setInvites((current) => [...current.filter((i) => i.partyId !== invite.partyId), invite]));
  useServerEvent('party:updated', ({ party: updated }) => setParty(updated.members.some((member) => member.userId === me) ? updated : null));
  useServerEvent('party:disbanded', ({ partyId }) => setParty((current) => (current?.id === partyId ? null : current)));

  const answer = async (invite: PartyInvited, accept: boolean) => {
    setInvites((current) => current.filter((i) => i.partyId !== invite.partyId));
    if (!accept) return void (await client.request('party:decline', { partyId: invite.partyId }));
    const result = await client.request('party:accept', { partyId: invite.partyId });
    if (result.ok) setParty(result.data.party);
  };
  const leave = async () => {
    await client.request('party:leave', {});
    setParty(null);
  };

  return (
    <section className="panel" data-testid="party">
      <h2>Party</h2>
      {invites.map((invite) => (
        <p key={invite.partyId} className="invite" data-testid="party-invite">
          {invite.from.name} invites you{' '}
          <button onClick={() => void answer(invite, true)}>Join</button> <button onClick={() => void answer(invite, false)}>Decline</button>
        </p>
      ))}
      {party ? (
        <>
          <ul data-testid="party-members">
            {party.members.map((member) => (
              <li key={member.userId}>
                {member.name}
                {member.userId === party.leaderId && ' ★'}
              </li>
            ))}
          </ul>
          <button onClick={() => void leave()}>Leave party</button>
        </>
      ) : (
        invites.length === 0 && <p className="muted">Not in a party. Invite someone from the list above.</p>
      )}
    </section>
  );
}
