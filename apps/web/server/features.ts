/**
 * What the demo server runs: every built-in feature, the game rooms and the demo's game, with
 * one matchmaking mode, `tag-duel`, whose matches end in a private arena for the two players.
 */
import { builtInFeatures, gameRoomsFeature, matchmakingFeature } from '@tavern/server';
import { tagArenaRoom } from './tag-arena.room.js';

export const TAG_DUEL = 'tag-duel';

const matchmaking = matchmakingFeature.with({ modes: { [TAG_DUEL]: { teamSize: 1, teams: 2, room: { type: 'tag-arena' } } } });

export const demoFeatures = [...builtInFeatures.map((feature) => (feature === matchmakingFeature ? matchmaking : feature)), gameRoomsFeature, tagArenaRoom];
