/**
 * The built-in features, in order (`start` in this order, `stop` in reverse). Each is a
 * `defineFeature` value in its own folder, made with the same public API a studio uses.
 */
import type { AnyFeature } from './feature.js';
import { adminFeature } from './admin/admin.feature.js';
import { chatFeature } from './chat/chat.feature.js';
import { combatFeature } from './combat/combat.feature.js';
import { gameRoomsFeature } from './game-rooms/game-rooms.feature.js';
import { guildFeature } from './guild/guild.feature.js';
import { lobbyFeature } from './lobby/lobby.feature.js';
import { matchmakingFeature } from './matchmaking/matchmaking.feature.js';
import { notificationsFeature } from './notifications/notifications.feature.js';
import { partyFeature } from './party/party.feature.js';
import { pokerFeature } from './poker/poker.feature.js';
import { presenceFeature } from './presence/presence.feature.js';
import { sessionFeature } from './session/session.feature.js';
import { worldFeature } from './world/world.feature.js';

export {
  adminFeature,
  chatFeature,
  combatFeature,
  gameRoomsFeature,
  guildFeature,
  lobbyFeature,
  matchmakingFeature,
  notificationsFeature,
  partyFeature,
  pokerFeature,
  presenceFeature,
  sessionFeature,
  worldFeature,
};

export { defineRoom, type RoomFeature, type RoomHandle, type RoomLimits, type RoomPlayer, type RoomTypeDefinition } from './game-rooms/game-rooms.define.js';
export type { GameRoomService } from './game-rooms/game-rooms.service.js';

export const builtInFeatures: readonly AnyFeature[] = [
  sessionFeature,
  notificationsFeature,
  presenceFeature,
  guildFeature,
  worldFeature,
  partyFeature,
  combatFeature,
  lobbyFeature,
  matchmakingFeature,
  pokerFeature,
  chatFeature,
  adminFeature,
];
