/**
 * The zones of the world: a JSON file named by `WORLD_ZONES_FILE`, or this default set.
 * Validated with the protocol's Zone schema, so a bad file stops start-up.
 */
import { Zone } from '@tavern/protocol';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** An NPC one can fight in a zone. */
export const NpcTemplate = z.object({
  name: z.string().min(1).max(64),
  hp: z.number().int().positive(),
  attack: z.number().int().nonnegative(),
  speed: z.number().int(),
});
export type NpcTemplate = z.infer<typeof NpcTemplate>;

/** A zone as configured: the protocol's Zone plus its NPCs (server-side only). */
export const ZoneConfig = Zone.extend({ npcs: z.record(z.string().regex(/^[a-z0-9-]{1,32}$/), NpcTemplate).default({}) });
export type ZoneConfig = z.infer<typeof ZoneConfig>;

export const DEFAULT_ZONES: ZoneConfig[] = [
  {
    id: 'tavern-district',
    name: 'Tavern District',
    width: 1000,
    height: 1000,
    spawn: { x: 500, y: 500 },
    maxSpeed: 200,
    npcs: { 'training-dummy': { name: 'Training Dummy', hp: 30, attack: 2, speed: 0 } },
  },
  {
    id: 'starting-village',
    name: 'Starting Village',
    width: 800,
    height: 600,
    spawn: { x: 400, y: 300 },
    maxSpeed: 150,
    npcs: { rat: { name: 'Giant Rat', hp: 20, attack: 4, speed: 6 } },
  },
  {
    id: 'dark-forest',
    name: 'Dark Forest',
    width: 2000,
    height: 2000,
    spawn: { x: 100, y: 100 },
    maxSpeed: 250,
    npcs: {
      wolf: { name: 'Grey Wolf', hp: 45, attack: 8, speed: 9 },
      bandit: { name: 'Bandit', hp: 60, attack: 10, speed: 5 },
    },
  },
];

/** The zone without its server-side parts, as clients see it. */
export function publicZone({ npcs: _npcs, ...zone }: ZoneConfig): Zone {
  return zone;
}

export function loadZones(file: string | null): Map<string, ZoneConfig> {
  let zones = DEFAULT_ZONES;
  if (file) {
    const parsed = z.array(ZoneConfig).min(1).safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) throw new Error(`${file}: not a list of zones: ${parsed.error.issues[0]?.message ?? ''}`);
    zones = parsed.data;
  }
  for (const zone of zones) {
    if (zone.spawn.x < 0 || zone.spawn.y < 0 || zone.spawn.x > zone.width || zone.spawn.y > zone.height) {
      throw new Error(`zone ${zone.id}: spawn is outside the zone`);
    }
  }
  return new Map(zones.map((zone) => [zone.id, zone]));
}
