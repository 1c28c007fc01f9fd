/**
 * The features a Tavern server runs, in order (`start` in this order, `stop` in reverse).
 * A new feature is a folder under `features/` and one line here.
 */
import type { FeatureFactory } from './feature.js';
import { adminFeature } from './admin/admin.feature.js';
import { chatFeature } from './chat/chat.feature.js';
import { combatFeature } from './combat/combat.feature.js';
import { guildFeature } from './guild/guild.feature.js';
import { lobbyFeature } from './lobby/lobby.feature.js';
import { matchmakingFeature } from './matchmaking/matchmaking.feature.js';
import { notificationsFeature } from './notifications/notifications.feature.js';
import { partyFeature } from './party/party.feature.js';
import { pokerFeature } from './poker/poker.feature.js';
import { presenceFeature } from './presence/presence.feature.js';
import { sessionFeature } from './session/session.feature.js';
import { worldFeature } from './world/world.feature.js';

export const builtInFeatures: readonly FeatureFactory[] = [
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
