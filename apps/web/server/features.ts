/** What the demo server runs: every built-in feature, the game rooms and the demo's game. */
import { builtInFeatures, gameRoomsFeature } from '@tavern/server';
import { tagArenaRoom } from './tag-arena.room.js';

export const demoFeatures = [...builtInFeatures, gameRoomsFeature, tagArenaRoom];
