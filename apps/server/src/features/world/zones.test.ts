import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { worldSettings } from './world.settings.js';
import { DEFAULT_ZONES, publicZone, Zones, zonesById } from './zones.js';

const dir = mkdtempSync(join(tmpdir(), 'tavern-zones-'));
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};
/** What WORLD_ZONES_FILE=path is refused for, or null. */
const problemOf = (path: string) => {
  const parsed = worldSettings.env.WORLD_ZONES_FILE.parse.safeParse(path);
  return parsed.success ? null : parsed.error.issues.map((issue) => issue.message).join(', ');
};

describe('zones', () => {
  it('uses the default set without a file', () => {
    const settings = worldSettings.schema.parse({});
    expect([...zonesById(settings.zones).keys()]).toEqual(DEFAULT_ZONES.map((zone) => zone.id));
    expect(Zones.safeParse(DEFAULT_ZONES).success).toBe(true);
  });

  it('loads zones and their NPCs from the file WORLD_ZONES_FILE names, and hides the NPCs from clients', () => {
    const path = file('ok.json', [{ id: 'arena', name: 'Arena', width: 50, height: 50, spawn: { x: 1, y: 1 }, maxSpeed: 5, npcs: { golem: { name: 'Golem', hp: 80, attack: 9, speed: 1 } } }]);
    const settings = worldSettings.schema.parse({ zones: worldSettings.env.WORLD_ZONES_FILE.parse.parse(path) });
    const arena = zonesById(settings.zones).get('arena')!;
    expect(arena.npcs['golem']).toMatchObject({ hp: 80 });
    expect(publicZone(arena)).not.toHaveProperty('npcs');
  });

  it('refuses a bad file with one line that says what is wrong', () => {
    expect(problemOf(join(dir, 'missing.json'))).toBe(`cannot read ${join(dir, 'missing.json')} (ENOENT)`);
    expect(problemOf(dir)).toBe(`cannot read ${dir} (EISDIR)`);
    expect(problemOf(file('text.json', 'zones: none'))).toMatch(/text\.json is not JSON \(/);
    expect(problemOf(file('empty.json', []))).toMatch(/empty\.json is not a list of zones: /);
    expect(problemOf(file('bad.json', [{ id: 'x', name: 'X', width: -1 }]))).toMatch(/bad\.json is not a list of zones: \[0\]\.\[width\]: /);
    const zone = { id: 'x', name: 'X', width: 10, height: 10, spawn: { x: 1, y: 1 }, maxSpeed: 1 };
    expect(problemOf(file('spawn.json', [{ ...zone, spawn: { x: 20, y: 1 } }]))).toMatch(/zone x: spawn is outside the zone/);
    expect(problemOf(file('twice.json', [zone, zone]))).toMatch(/zone x is defined twice/);
  });
});
