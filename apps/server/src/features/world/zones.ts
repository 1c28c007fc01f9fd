/**
 * The zones of the world: a JSON file named by `WORLD_ZONES_FILE`, or this default set.
 * The file is read and validated (the protocol's Zone schema, unique ids, spawns inside
 * their zones) when env.ts parses the variable, so a bad file stops start-up with a line
 * naming `WORLD_ZONES_FILE`.
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

/** The zones of a world: at least one, ids unique, each spawn inside its zone. */
export const Zones = z
  .array(ZoneConfig)
  .min(1)
  .superRefine((zones, ctx) => {
    const seen = new Set<string>();
    zones.forEach((zone, index) => {
      if (seen.has(zone.id)) ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `zone ${zone.id} is defined twice` });
      seen.add(zone.id);
      if (zone.spawn.x < 0 || zone.spawn.y < 0 || zone.spawn.x > zone.width || zone.spawn.y > zone.height) {
        ctx.addIssue({ code: 'custom', path: [index, 'spawn'], message: `zone ${zone.id}: spawn is outside the zone` });
      }
    });
  });

/** A file's path, parsed into the zones it holds: what `WORLD_ZONES_FILE` sets. */
export const zonesFile = z
  .string()
  .min(1)
  .transform((path, ctx) => {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      ctx.addIssue({ code: 'custom', message: code ? `cannot read ${path} (${code})` : `${path} is not JSON (${(error as Error).message})` });
      return z.NEVER;
    }
    const parsed = Zones.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `[${issue.path.join('].[')}]: ` : '';
      ctx.addIssue({ code: 'custom', message: `${path} is not a list of zones: ${where}${issue?.message ?? 'invalid'}` });
      return z.NEVER;
    }
    return parsed.data;
  });

export function zonesById(zones: readonly ZoneConfig[]): Map<string, ZoneConfig> {
  return new Map(zones.map((zone) => [zone.id, zone]));
}
