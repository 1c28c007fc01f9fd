/**
 * The protocol this game's server speaks: the built-in slices and the dice slice. Clients are
 * typed by it (`createClient<DiceContract>`); the server runs the features that serve it.
 */
import { builtInSlices, defineContract } from '@tavern/protocol';
import { diceSlice } from './dice.slice.js';

export const contract = defineContract(...builtInSlices, diceSlice);
export type DiceContract = typeof contract;
