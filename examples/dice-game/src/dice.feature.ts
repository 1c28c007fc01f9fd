/**
 * The dice feature: serves the dice slice. A roll is allowed in a zone the roller is in (the
 * world feature's access policy for `zone:` rooms decides, on any node); the server rolls,
 * tells the zone and answers the roll with the same value.
 */
import { rooms } from '@tavern/protocol';
import { defineFeature } from '@tavern/server';
import { randomInt } from 'node:crypto';
import { diceSlice } from './dice.slice.js';

export const diceFeature = defineFeature({
  name: 'dice',
  slice: diceSlice,
  create: ({ rooms: access, emitTo, clock }) => ({
    handlers: {
      'dice:roll': async ({ user }, { zoneId, sides }) => {
        await access.assertAccess(user, rooms.zone(zoneId)); // FORBIDDEN unless you are in the zone
        const rolled = { zoneId, userId: user.userId, name: user.name, sides, value: randomInt(1, sides + 1), at: clock.now() };
        emitTo(rooms.zone(zoneId), 'dice:rolled', rolled);
        return rolled;
      },
    },
  }),
});
