/**
 * Parties, pending invites and each user's party. Changes to a party are compare-and-set on
 * its JSON record (retried on conflict), so members acting on two nodes at once never lose
 * an update.
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

export interface PartyStore {
  get(partyId: string): Promise<PartyRecord | null>;
  /**
   * Applies `change` to the party atomically (`null` deletes it); `change` may run more than
   * once and must not have side effects. Returns the new record, or null when deleted/absent.
   */
  update(partyId: string, change: (party: PartyRecord | null) => PartyRecord | null): Promise<PartyRecord | null>;
  partyOf(userId: string): Promise<string | null>;
  setPartyOf(userId: string, partyId: string | null): Promise<void>;
  /** Sets `partyId` as the user's party unless they already have one; false when they do. */
  claimPartyOf(userId: string, partyId: string): Promise<boolean>;
  addInvite(partyId: string, userId: string, ttlMs: number): Promise<void>;
  /** Removes the invite; true when it existed. */
  takeInvite(partyId: string, userId: string): Promise<boolean>;
}

export class MemoryPartyStore implements PartyStore {
  private readonly parties = createRecordStore<PartyRecord>(null, 'party');
  private readonly users = new Map<string, string>();
  private readonly invites = new Map<string, number>();

  get(partyId: string) {
    return this.parties.get(partyId);
  }

  update(partyId: string, change: (party: PartyRecord | null) => PartyRecord | null) {
    return this.parties.update(partyId, change);
  }

  async partyOf(userId: string) {
    return this.users.get(userId) ?? null;
  }

  async setPartyOf(userId: string, partyId: string | null) {
    if (partyId) this.users.set(userId, partyId);
    else this.users.delete(userId);
  }

  async claimPartyOf(userId: string, partyId: string) {
    if (this.users.has(userId)) return false;
    this.users.set(userId, partyId);
    return true;
  }

  async addInvite(partyId: string, userId: string, ttlMs: number) {
    this.invites.set(`${partyId}\n${userId}`, Date.now() + ttlMs);
  }

  async takeInvite(partyId: string, userId: string) {
    const key = `${partyId}\n${userId}`;
    const until = this.invites.get(key);
    this.invites.delete(key);
    return until !== undefined && until > Date.now();
  }
}

export class RedisPartyStore implements PartyStore {
  private readonly parties: RecordStore<PartyRecord>;

  constructor(private readonly redis: RedisConnections) {
    this.parties = createRecordStore<PartyRecord>(redis, 'party');
  }

  private key = (...parts: string[]) => this.redis.key('party', ...parts);

  get(partyId: string) {
    return this.parties.get(partyId);
  }

  update(partyId: string, change: (party: PartyRecord | null) => PartyRecord | null) {
    return this.parties.update(partyId, change);
  }

  async partyOf(userId: string) {
    return this.redis.run((client) => client.get(this.key('user', userId)));
  }

  async setPartyOf(userId: string, partyId: string | null) {
    await this.redis.run(async (client) => {
      if (partyId) await client.set(this.key('user', userId), partyId);
      else await client.del(this.key('user', userId));
    });
  }

  async claimPartyOf(userId: string, partyId: string) {
    return (await this.redis.run((client) => client.set(this.key('user', userId), partyId, 'NX'))) === 'OK';
  }

  async addInvite(partyId: string, userId: string, ttlMs: number) {
    await this.redis.run((client) => client.set(this.key('invite', partyId, userId), '1', 'PX', ttlMs));
  }

  async takeInvite(partyId: string, userId: string) {
    return (await this.redis.run((client) => client.del(this.key('invite', partyId, userId)))) === 1;
  }
}
