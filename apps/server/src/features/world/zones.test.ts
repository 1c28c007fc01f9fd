import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ZONES, loadZones, publicZone } from './zones.js';

const dir = mkdtempSync(join(tmpdir(), 'tavern-zones-'));
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
};

describe('zones', () => {
  it('uses the default set without a file', () => {
    expect([...loadZones(null).keys()]).toEqual(DEFAULT_ZONES.map((zone) => zone.id));
  });

  it('loads zones and their NPCs from a file, and hides the NPCs from clients', () => {
    const zones = loadZones(
      file('ok.json', [{ id: 'arena', name: 'Arena', width: 50, height: 50, spawn: { x: 1, y: 1 }, maxSpeed: 5, npcs: { golem: { name: 'Golem', hp: 80, attack: 9, speed: 1 } } }]),
    );
    const arena = zones.get('arena')!;
    expect(arena.npcs['golem']).toMatchObject({ hp: 80 });
    expect(publicZone(arena)).not.toHaveProperty('npcs');
  });

  it('refuses a bad file with a message', () => {
    expect(() => loadZones(file('bad.json', [{ id: 'x', name: 'X', width: -1 }]))).toThrow(/not a list of zones/);
    expect(() => loadZones(file('spawn.json', [{ id: 'x', name: 'X', width: 10, height: 10, spawn: { x: 20, y: 1 }, maxSpeed: 1 }]))).toThrow(/spawn/);
  });
});
