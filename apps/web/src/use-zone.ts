/**
 * The zone as this page sees it: enters it on every (re)connection, predicts this player's
 * own movement and applies the server's corrections, and interpolates the others between
 * snapshots. Positions live in a mutable store read by the canvas each frame; React state
 * only changes when players come and go.
 */
import type { Player, Zone } from '@tavern/client-sdk';
import { useServerEvent, useTavernClient } from '@tavern/client-sdk/react';
import { useCallback, useEffect, useRef, useState } from 'react';

/** Moves are sent at most this often (the server allows 20/s). */
export const MOVE_INTERVAL_MS = 50;
/** Other players are drawn this far in the past, so there are two snapshots to blend. */
const INTERPOLATION_MS = 100;

export interface Avatar {
  characterId: string;
  userId: string;
  name: string;
  /** Where to draw it now. */
  x: number;
  y: number;
  from: { x: number; y: number };
  to: { x: number; y: number };
  /** When the latest snapshot for it arrived. */
  at: number;
}

export interface ZoneView {
  zone: Zone | null;
  /** Everyone in the zone but this player. */
  players: readonly Player[];
  /** Positions for drawing, updated every frame by `advance()`. */
  avatars: Map<string, Avatar>;
  self: { x: number; y: number } | null;
  corrections: number;
  /** Walk towards a point (a click); arrow keys go through `setHeading`. */
  walkTo: (point: { x: number; y: number }) => void;
  setHeading: (heading: { dx: number; dy: number }) => void;
  /** Moves interpolated avatars to where they should be at `now`. */
  advance: (now: number) => void;
}

export function useZone(zoneId: string, characterId: string): ZoneView {
  const client = useTavernClient();
  const [zone, setZone] = useState<Zone | null>(null);
  const [players, setPlayers] = useState<readonly Player[]>([]);
  const [corrections, setCorrections] = useState(0);
  const avatars = useRef(new Map<string, Avatar>()).current;
  const self = useRef<{ x: number; y: number } | null>(null);
  const target = useRef<{ x: number; y: number } | null>(null);
  const heading = useRef({ dx: 0, dy: 0 });
  const seq = useRef(0);
  const zoneRef = useRef<Zone | null>(null);

  const place = useCallback(
    (player: Player) => {
      const position = { x: player.x, y: player.y };
      avatars.set(player.characterId, { ...player, from: position, to: position, at: performance.now() });
    },
    [avatars],
  );

  useEffect(() => {
    let active = true;
    const enter = async () => {
      const result = await client.request('zone:enter', { zoneId });
      if (!active || !result.ok) return;
      zoneRef.current = result.data.zone;
      self.current = { ...result.data.you };
      target.current = null;
      avatars.clear();
      const others = result.data.players.filter((player) => player.characterId !== characterId);
      others.forEach(place);
      setZone(result.data.zone);
      setPlayers(others);
    };
    void enter();
    const stop = client.on('session:ready', () => void enter());
    return () => {
      active = false;
      stop();
    };
  }, [client, zoneId, characterId, avatars, place]);

  useServerEvent('zone:player:entered', (player) => {
    if (player.characterId === characterId) return;
    place(player);
    setPlayers((current) => [...current.filter((p) => p.characterId !== player.characterId), player]);
  });
  useServerEvent('zone:player:left', ({ characterId: left }) => {
    avatars.delete(left);
    setPlayers((current) => current.filter((p) => p.characterId !== left));
  });
  useServerEvent('zone:snapshot', (snapshot) => {
    if (snapshot.zoneId !== zoneId) return;
    const now = performance.now();
    for (const entry of snapshot.players) {
      const avatar = avatars.get(entry.characterId);
      if (!avatar) continue;
      avatar.from = { x: avatar.x, y: avatar.y };
      avatar.to = { x: entry.x, y: entry.y };
      avatar.at = now;
    }
  });
  useServerEvent('character:correction', (correction) => {
    // The server refused a move: it owns the position, so go back to where it says.
    self.current = { x: correction.x, y: correction.y };
    target.current = null;
    setCorrections((count) => count + 1);
  });

  // This player's own movement: predicted locally, sent at the allowed rate.
  useEffect(() => {
    const timer = setInterval(() => {
      const zone = zoneRef.current;
      const position = self.current;
      if (!zone || !position || client.state !== 'connected') return;
      const step = zone.maxSpeed * (MOVE_INTERVAL_MS / 1000) * 0.9;
      let { dx, dy } = heading.current;
      if (dx === 0 && dy === 0 && target.current) {
        dx = target.current.x - position.x;
        dy = target.current.y - position.y;
        if (Math.hypot(dx, dy) <= step) {
          moveTo(zone, target.current);
          target.current = null;
          return;
        }
      }
      const length = Math.hypot(dx, dy);
      if (length === 0) return;
      moveTo(zone, { x: position.x + (dx / length) * step, y: position.y + (dy / length) * step });
    }, MOVE_INTERVAL_MS);
    function moveTo(zone: Zone, point: { x: number; y: number }) {
      const next = { x: clamp(point.x, 0, zone.width), y: clamp(point.y, 0, zone.height) };
      seq.current += 1;
      if (client.signal('character:move', { ...next, seq: seq.current })) self.current = next;
    }
    return () => clearInterval(timer);
  }, [client]);

  return {
    zone,
    players,
    avatars,
    get self() {
      return self.current;
    },
    corrections,
    walkTo: useCallback((point) => {
      target.current = point;
    }, []),
    setHeading: useCallback((next) => {
      heading.current = next;
      if (next.dx !== 0 || next.dy !== 0) target.current = null;
    }, []),
    advance: useCallback(
      (now: number) => {
        for (const avatar of avatars.values()) {
          const t = Math.min(1, (now - avatar.at) / INTERPOLATION_MS);
          avatar.x = avatar.from.x + (avatar.to.x - avatar.from.x) * t;
          avatar.y = avatar.from.y + (avatar.to.y - avatar.from.y) * t;
        }
      },
      [avatars],
    ),
  };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
