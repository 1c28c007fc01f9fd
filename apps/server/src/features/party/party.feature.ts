/**
 * Parties: create, invite (to every socket of the invitee), accept, decline, leave, kick by
 * the leader; the leader role passes to the longest-present member when the leader leaves,
 * and an empty party is disbanded. Party chat is the `party:{id}` channel.
 */
import { ErrorCode, rooms, type Party, partySlice } from '@tavern/protocol';
import { AppError, conflict, defineFeature, forbidden, notFound, randomId, withStatus, type AuthUser } from '../../api.js';
import { partySettings } from './party.settings.js';
import { PartyStore, type PartyRecord } from './party.store.js';

const MAX_MEMBERS = 5;
const INVITE_TTL_MS = 5 * 60_000;
const PARTY_PREFIX = rooms.party('');

declare module '../feature.js' {
  interface TavernServices {
    /** The user ids in the user's party (empty when none). */
    parties: { membersOf(userId: string): Promise<string[]> };
  }
}

export const partyFeature = defineFeature({
  name: 'party',
  slice: partySlice,
  settings: partySettings,
  create: ({ redis, rooms: roomService, services, emitTo, logger: log, settings }) => {
    const store = new PartyStore(redis, { ttlMs: settings.ttlMs, inviteTtlMs: INVITE_TTL_MS });
    services.provide('parties', {
      async membersOf(userId) {
        const partyId = await store.partyOf(userId);
        const party = partyId ? await store.get(partyId) : null;
        return party?.members.map((member) => member.userId) ?? [];
      },
    });
    roomService.setPolicy('party', async (user, room) => (await store.partyOf(user.userId)) === room.id);

    async function view(party: PartyRecord): Promise<Party> {
      return {
        id: party.id,
        leaderId: party.leaderId,
        members: await withStatus(services.find('presence'), party.members.map(({ userId, name }) => ({ userId, name }))),
      };
    }

    /** Tells the members (and anyone just removed) the party as it is now. */
    async function announce(party: PartyRecord, removedUserId?: string): Promise<Party> {
      const shown = await view(party);
      const to = removedUserId === undefined ? [rooms.party(party.id)] : [rooms.party(party.id), rooms.user(removedUserId)];
      emitTo(to, 'party:updated', { party: shown });
      return shown;
    }

    async function requireParty(user: AuthUser): Promise<string> {
      const partyId = await store.partyOf(user.userId);
      if (!partyId) throw new AppError(ErrorCode.PRECONDITION_FAILED, 'you are not in a party');
      return partyId;
    }

    /** Removes a member; hands over leadership or disbands. */
    async function removeMember(partyId: string, userId: string): Promise<void> {
      const updated = await store.update(partyId, (party) => {
        if (!party) return null;
        const members = party.members.filter((member) => member.userId !== userId);
        if (members.length === 0) return null;
        const leaderId = party.leaderId === userId ? [...members].sort((a, b) => a.joinedAt - b.joinedAt)[0]!.userId : party.leaderId;
        return { ...party, leaderId, members };
      });
      await store.leave(userId, partyId);
      roomService.leaveUser(userId, rooms.party(partyId));
      if (updated) await announce(updated, userId);
      else emitTo([rooms.party(partyId), rooms.user(userId)], 'party:disbanded', { partyId });
    }

    return {
      handlers: {
        'party:create': async ({ socket, user }) => {
          const partyId = `p${randomId(9)}`;
          roomService.assertCanJoin(socket, rooms.party(partyId));
          if (await store.partyOf(user.userId)) throw conflict('you are already in a party');
          // The party first, then the pointer to it: a pointer without its party counts as none.
          const party = await store.update(partyId, () => ({
            id: partyId,
            leaderId: user.userId,
            members: [{ userId: user.userId, name: user.name, joinedAt: Date.now() }],
          }));
          if (!(await store.claimPartyOf(user.userId, partyId))) {
            await store.update(partyId, () => null);
            throw conflict('you are already in a party');
          }
          roomService.joinUser(user.userId, rooms.party(partyId));
          return { party: await view(party!) };
        },
        'party:invite': async ({ user }, { userId }) => {
          const partyId = await requireParty(user);
          // Inviting is a sign of life: the party lives on.
          const party = await store.touch(partyId);
          if (!party) throw notFound('party');
          if (party.members.some((member) => member.userId === userId)) throw conflict(`${userId} is already in the party`);
          if (party.members.length >= MAX_MEMBERS) throw new AppError(ErrorCode.LIMIT_EXCEEDED, `a party has at most ${MAX_MEMBERS} members`);
          await store.addInvite(partyId, userId);
          const [from] = await withStatus(services.find('presence'), [{ userId: user.userId, name: user.name }]);
          emitTo(rooms.user(userId), 'party:invited', { partyId, from: from! });
          return {};
        },
        'party:accept': async ({ socket, user }, { partyId }) => {
          roomService.assertCanJoin(socket, rooms.party(partyId));
          if (!(await store.takeInvite(partyId, user.userId))) throw notFound('invitation');
          if (!(await store.claimPartyOf(user.userId, partyId))) throw conflict('you are already in a party; leave it first');
          let full = false;
          const party = await store.update(partyId, (current) => {
            full = false;
            if (!current) return null;
            if (current.members.some((member) => member.userId === user.userId)) return current;
            if (current.members.length >= MAX_MEMBERS) {
              full = true;
              return current;
            }
            return { ...current, members: [...current.members, { userId: user.userId, name: user.name, joinedAt: Date.now() }] };
          });
          if (!party || full) {
            await store.leave(user.userId, partyId);
            throw party ? new AppError(ErrorCode.LIMIT_EXCEEDED, 'the party is full') : notFound('party');
          }
          roomService.joinUser(user.userId, rooms.party(partyId));
          return { party: await announce(party) };
        },
        'party:decline': async ({ user }, { partyId }) => {
          if (!(await store.takeInvite(partyId, user.userId))) throw notFound('invitation');
          return {};
        },
        'party:leave': async ({ user }) => {
          await removeMember(await requireParty(user), user.userId);
          return {};
        },
        'party:kick': async ({ user }, { userId }) => {
          const partyId = await requireParty(user);
          const party = await store.get(partyId);
          if (party?.leaderId !== user.userId) throw forbidden('only the leader kicks');
          if (userId === user.userId) throw new AppError(ErrorCode.INVALID_PAYLOAD, 'leave instead of kicking yourself');
          if (!party.members.some((member) => member.userId === userId)) throw notFound(`member ${userId}`);
          await removeMember(partyId, userId);
          return {};
        },
      },
      async onConnect(socket) {
        // A member connecting keeps the party (a party that expired is no party).
        const partyId = await store.partyOf(socket.data.user.userId).catch(() => null);
        const party = partyId ? await store.touch(partyId).catch(() => null) : null;
        if (party) await socket.join(rooms.party(party.id));
      },
      onDisconnect(_socket, _reason, joined) {
        // So does one disconnecting: the party lasts `ttlMs` from its members' last sign of life.
        for (const room of joined) {
          if (room.startsWith(PARTY_PREFIX)) {
            void store.touch(room.slice(PARTY_PREFIX.length)).catch((error: unknown) => log.warn({ err: error }, 'could not keep a party alive on disconnect'));
          }
        }
      },
    };
  },
});
