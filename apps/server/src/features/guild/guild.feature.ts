/**
 * Guilds: membership from the `guilds` claim or set by the admin API; the `guild:{id}`
 * room (and chat channel) admits members only. Members' sockets join the guild room on
 * connect, and on every node when the admin API adds them.
 */
import { rooms } from '@tavern/protocol';
import { defineFeature, type RoomService } from '../../api.js';
import { MemoryGuildStore, RedisGuildStore, type GuildStore } from './guild.store.js';

export class GuildService {
  constructor(
    private readonly store: GuildStore,
    private readonly rooms: RoomService,
  ) {}

  isMember(guildId: string, userId: string): Promise<boolean> {
    return this.store.isMember(guildId, userId);
  }

  /** Replaces a guild's admin-set members and moves live sockets in or out of its room. */
  async setMembers(guildId: string, userIds: readonly string[]): Promise<number> {
    const { added, removed } = await this.store.setMembers(guildId, userIds);
    for (const userId of added) this.rooms.joinUser(userId, rooms.guild(guildId));
    for (const userId of removed) this.rooms.leaveUser(userId, rooms.guild(guildId));
    return new Set(userIds).size;
  }
}

declare module '../feature.js' {
  interface TavernServices {
    guilds: GuildService;
  }
}

export const guildFeature = defineFeature({
  name: 'guild',
  create: ({ redis, rooms: roomService, services }) => {
    const guilds = new GuildService(redis ? new RedisGuildStore(redis) : new MemoryGuildStore(), roomService);
    services.provide('guilds', guilds);
    roomService.setPolicy('guild', async (user, room) => user.guilds.includes(room.id) || (await guilds.isMember(room.id, user.userId)));
    return {
      async onConnect(socket) {
        const claimed = socket.data.user.guilds.map((guildId) => rooms.guild(guildId));
        if (claimed.length > 0) await socket.join(claimed);
      },
    };
  },
});
