/**
 * Who is in which zone, where, cluster-wide: one hash per zone (characterId -> Player) and
 * each character's last position per zone. Nodes write their own characters' positions once
 * per tick, in one pipeline, never per move.
 */
import type { Player } from '@tavern/protocol';
import type { RedisConnections } from '../../api.js';

export interface WorldStore {
  players(zoneId: string): Promise<Player[]>;
  /** Puts (or moves) players in a zone. */
  place(zoneId: string, players: readonly Player[]): Promise<void>;
  remove(zoneId: string, characterId: string): Promise<void>;
  lastPosition(characterId: string, zoneId: string): Promise<{ x: number; y: number } | null>;
  /** The zone a user's character was last placed in by any node, for cleaning up after a dead node. */
  zoneOfUser(userId: string): Promise<{ zoneId: string; characterId: string } | null>;
  setZoneOfUser(userId: string, entry: { zoneId: string; characterId: string } | null): Promise<void>;
}

export class MemoryWorldStore implements WorldStore {
  private readonly zones = new Map<string, Map<string, Player>>();
  private readonly positions = new Map<string, { x: number; y: number }>();
  private readonly users = new Map<string, { zoneId: string; characterId: string }>();

  async players(zoneId: string): Promise<Player[]> {
    return [...(this.zones.get(zoneId)?.values() ?? [])];
  }

  async place(zoneId: string, players: readonly Player[]): Promise<void> {
    let zone = this.zones.get(zoneId);
    if (!zone) this.zones.set(zoneId, (zone = new Map()));
    for (const player of players) {
      zone.set(player.characterId, player);
      this.positions.set(`${player.characterId}\n${zoneId}`, { x: player.x, y: player.y });
    }
  }

  async remove(zoneId: string, characterId: string): Promise<void> {
    this.zones.get(zoneId)?.delete(characterId);
  }

  async lastPosition(characterId: string, zoneId: string) {
    return this.positions.get(`${characterId}\n${zoneId}`) ?? null;
  }

  async zoneOfUser(userId: string) {
    return this.users.get(userId) ?? null;
  }

  async setZoneOfUser(userId: string, entry: { zoneId: string; characterId: string } | null): Promise<void> {
    if (entry) this.users.set(userId, entry);
    else this.users.delete(userId);
  }
}

export class RedisWorldStore implements WorldStore {
  constructor(private readonly redis: RedisConnections) {}

  async players(zoneId: string): Promise<Player[]> {
    const raw = await this.redis.run((client) => client.hvals(this.redis.key('world', 'zone', zoneId)));
    return raw.map((json) => JSON.parse(json) as Player);
  }

  async place(zoneId: string, players: readonly Player[]): Promise<void> {
    if (players.length === 0) return;
    // The zone's hash and each character's positions: separate slots on a cluster, sent together.
    await this.redis.run((client) =>
      Promise.all([
        client.hset(this.redis.key('world', 'zone', zoneId), Object.fromEntries(players.map((player) => [player.characterId, JSON.stringify(player)]))),
        ...players.map((player) => client.hset(this.redis.key('world', 'pos', player.characterId), zoneId, `${player.x},${player.y}`)),
      ]),
    );
  }

  async remove(zoneId: string, characterId: string): Promise<void> {
    await this.redis.run((client) => client.hdel(this.redis.key('world', 'zone', zoneId), characterId));
  }

  async lastPosition(characterId: string, zoneId: string) {
    const raw = await this.redis.run((client) => client.hget(this.redis.key('world', 'pos', characterId), zoneId));
    if (!raw) return null;
    const [x, y] = raw.split(',').map(Number);
    return x === undefined || y === undefined ? null : { x, y };
  }

  async zoneOfUser(userId: string) {
    const raw = await this.redis.run((client) => client.get(this.redis.key('world', 'user', userId)));
    return raw ? (JSON.parse(raw) as { zoneId: string; characterId: string }) : null;
  }

  async setZoneOfUser(userId: string, entry: { zoneId: string; characterId: string } | null): Promise<void> {
    const key = this.redis.key('world', 'user', userId);
    await this.redis.run(async (client) => {
      if (entry) await client.set(key, JSON.stringify(entry));
      else await client.del(key);
    });
  }
}
