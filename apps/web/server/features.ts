/**
 * What the demo server runs: a selection of Tavern's features (a preset or a list of names, as
 * `FEATURES` picks them for Tavern's own server; all of them by default), the game rooms and
 * the demo's game. Matchmaking gets one more mode, `tag-duel`, whose matches end in a private
 * arena for the two players (beside its default modes; the demo replaces `MATCHMAKING_MODES`).
 */
import { gameRoomsFeature, matchmakingFeature, resolveFeatures, type AnyFeature } from '@tavern/server';
import { tagArenaRoom } from './tag-arena.room.js';

export const TAG_DUEL = 'tag-duel';

const defaultModes = matchmakingFeature.settings!.schema.parse({}).modes;
const matchmaking = matchmakingFeature.with({ modes: { ...defaultModes, [TAG_DUEL]: { teamSize: 1, teams: 2, room: { type: 'tag-arena' } } } });

/** The demo's features over `selection` (throws, naming the choices, on an unknown name). */
export function demoFeatures(selection = 'mmorpg'): AnyFeature[] {
  const chosen = resolveFeatures(selection).map((feature) => (feature === matchmakingFeature ? matchmaking : feature));
  return [...chosen, gameRoomsFeature, tagArenaRoom];
}
