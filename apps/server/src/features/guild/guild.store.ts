/** Guild membership set by the admin API (on top of the `guilds` token claim). */
import type { RedisConnections } from '../../api.js';

export interface GuildStore {
  /** Replaces the members; returns who was added and who removed. */
  setMembers(guildId: string, userIds: readonly string[]): Promise<{ added: string[]; removed: string[] }>;
  isMember(guildId: string, userId: string): Promise<boolean>;
}

export class MemoryGuildStore implements GuildStore {
  private readonly guilds = new Map<string, Set<string>>();

  async setMembers(guildId: string, userIds: readonly string[]) {
    const before = this.guilds.get(guildId) ?? new Set<string>();
    const after = new Set(userIds);
    this.guilds.set(guildId, after);
    return { added: [...after].filter((userId) => !before.has(userId)), removed: [...before].filter((userId) => !after.has(userId)) };
  }

  async isMember(guildId: string, userId: string): Promise<boolean> {
    return this.guilds.get(guildId)?.has(userId) ?? false;
  }
}

export class RedisGuildStore implements GuildStore {
  constructor(private readonly redis: RedisConnections) {}

  async setMembers(guildId: string, userIds: readonly string[]) {
    const key = this.redis.key('guild', guildId, 'members');
    return this.redis.run(async (client) => {
      const before = new Set(await client.smembers(key));
      // Replaced in one transaction on the one key (a staging key would be in another slot on a cluster).
      const multi = client.multi().del(key);
      if (userIds.length > 0) multi.sadd(key, ...userIds);
      await multi.exec();
      const after = new Set(userIds);
      return { added: [...after].filter((userId) => !before.has(userId)), removed: [...before].filter((userId) => !after.has(userId)) };
    });
  }

  async isMember(guildId: string, userId: string): Promise<boolean> {
    return (await this.redis.run((client) => client.sismember(this.redis.key('guild', guildId, 'members'), userId))) === 1;
  }
}
