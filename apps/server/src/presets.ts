/**
 * The seeds' products as selections of the same features. A preset serves only the events of
 * its features: anything else is refused as an unknown event. Every preset runs `session`
 * (the events every connection needs) and `admin` (the operator's HTTP API).
 *
 * @example
 * FEATURES=chat pnpm start          # a chat app
 * FEATURES=session,poker,admin ...  # any list of built-in feature names
 * createRealtimeServer(httpServer, { config, logger, features: [...presets.chat, diceFeature] });
 */
import type { AnyFeature } from './features/feature.js';
import {
  adminFeature,
  builtInFeatures,
  chatFeature,
  lobbyFeature,
  matchmakingFeature,
  notificationsFeature,
  partyFeature,
  pokerFeature,
  presenceFeature,
  sessionFeature,
} from './features/index.js';

export const presets = {
  /** A chat app: channels with history, presence, typing, receipts, notifications. */
  chat: [sessionFeature, notificationsFeature, presenceFeature, chatFeature, adminFeature],
  /** A lobby and matchmaking platform: parties, lobbies, matchmaking, with chat and presence. */
  lobby: [sessionFeature, notificationsFeature, presenceFeature, partyFeature, lobbyFeature, matchmakingFeature, chatFeature, adminFeature],
  /** A planning-poker tool. */
  poker: [sessionFeature, pokerFeature, adminFeature],
  /** The MMORPG realtime layer: everything. */
  mmorpg: builtInFeatures,
} satisfies Record<string, readonly AnyFeature[]>;

export type PresetName = keyof typeof presets;

/** A preset name, or a comma-separated list of built-in feature names (in any order; run in the built-in order). */
export function resolveFeatures(selection: string): readonly AnyFeature[] {
  const name = selection.trim();
  if (Object.hasOwn(presets, name)) return presets[name as PresetName];
  const wanted = name.split(',').map((item) => item.trim()).filter(Boolean);
  const known = new Map(builtInFeatures.map((feature) => [feature.name, feature]));
  const unknown = wanted.filter((item) => !known.has(item));
  if (unknown.length) {
    throw new Error(`unknown ${unknown.join(', ')}: use a preset (${Object.keys(presets).join(', ')}) or feature names (${[...known.keys()].join(', ')})`);
  }
  return builtInFeatures.filter((feature) => wanted.includes(feature.name));
}
