/**
 * Parties, pending invites and each user's party, as three record stores (in memory, or in
 * Redis for a cluster). Changes to a party are compare-and-set on its JSON record (retried on
 * conflict), so members acting on two nodes at once never lose an update. A party and its
 * members' pointers to it expire together `ttlMs` after the party was last written or
 * touched; a pointer that outlived its party counts as no party.
 */
import { createRecordStore, type RecordStore, type RedisConnections } from '../../api.js';

export interface PartyMember {
  userId: string;
  name: string;
  joinedAt: number;
}

export interface PartyRecord {
  id: string;
  leaderId: string;
  members: PartyMember[];
}

export class PartyStore {
  private readonly parties: RecordStore<PartyRecord>;
  /** userId -> partyId */
  private readonly pointers: RecordStore<string>;
  /** `${partyId}:${userId}` -> when it was sent */
  private readonly invites: RecordStore<number>;

  constructor(redis: RedisConnections | null, options: { ttlMs: number; inviteTtlMs: number }) {
    this.parties = createRecordStore(redis, 'party', { ttlMs: options.ttlMs });
    this.pointers = createRecordStore(redis, 'party:member', { ttlMs: options.ttlMs });
    this.invites = createRecordStore(redis, 'party:invite', { ttlMs: options.inviteTtlMs });
  }

  get(partyId: string): Promise<PartyRecord | null> {
    return this.parties.get(partyId);
  }

  /**
   * Applies `change` to the party atomically (`null` deletes it); `change` may run more than
   * once and must not have side effects. Returns the new record, or null when deleted/absent.
   */
  async update(partyId: string, change: (party: PartyRecord | null) => PartyRecord | null): Promise<PartyRecord | null> {
    return this.keepPointers(await this.parties.update(partyId, change));
  }

  /** Keeps the party (and its members' pointers) for `ttlMs` more; null when it is gone. */
  async touch(partyId: string): Promise<PartyRecord | null> {
    return this.keepPointers(await this.parties.touch(partyId));
  }

  private async keepPointers(party: PartyRecord | null): Promise<PartyRecord | null> {
    if (party) await Promise.all(party.members.map((member) => this.pointers.touch(member.userId)));
    return party;
  }

  /** The user's party; a pointer to a party that expired is dropped, and the user is in none. */
  async partyOf(userId: string): Promise<string | null> {
    const partyId = await this.pointers.get(userId);
    if (partyId === null || (await this.parties.get(partyId))) return partyId;
    await this.leave(userId, partyId);
    return null;
  }

  /** Clears the user's pointer if it still points to `partyId`. */
  async leave(userId: string, partyId: string): Promise<void> {
    await this.pointers.update(userId, (current) => (current === partyId ? null : current));
  }

  /** Sets `partyId` as the user's party unless they already have one; false when they do. */
  async claimPartyOf(userId: string, partyId: string): Promise<boolean> {
    await this.partyOf(userId); // drops a pointer that outlived its party
    return (await this.pointers.update(userId, (current) => current ?? partyId)) === partyId;
  }

  async addInvite(partyId: string, userId: string): Promise<void> {
    await this.invites.update(`${partyId}:${userId}`, () => Date.now());
  }

  /** Removes the invite; true when it existed. */
  async takeInvite(partyId: string, userId: string): Promise<boolean> {
    let existed = false;
    await this.invites.update(`${partyId}:${userId}`, (current) => {
      existed = current !== null;
      return null;
    });
    return existed;
  }
}
