/**
 * The zones of the world: a JSON file named by `WORLD_ZONES_FILE`, or this default set.
 * Validated with the protocol's Zone schema, so a bad file stops start-up.
 */
import { Zone } from '@tavern/protocol';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const DEFAULT_ZONES: Zone[] = [
  { id: 'tavern-district', name: 'Tavern District', width: 1000, height: 1000, spawn: { x: 500, y: 500 }, maxSpeed: 200 },
  { id: 'starting-village', name: 'Starting Village', width: 800, height: 600, spawn: { x: 400, y: 300 }, maxSpeed: 150 },
  { id: 'dark-forest', name: 'Dark Forest', width: 2000, height: 2000, spawn: { x: 100, y: 100 }, maxSpeed: 250 },
];

export function loadZones(file: string | null): Map<string, Zone> {
  let zones = DEFAULT_ZONES;
  if (file) {
    const parsed = z.array(Zone).min(1).safeParse(JSON.parse(readFileSync(file, 'utf8')));
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
