/** Lobbies: a host, members who ready up, settings, and a start. */
import { z } from 'zod';
import { DisplayName, Empty, Id, Member } from './common.js';
import { command } from './define.js';

export const LobbyStatus = z.enum(['forming', 'ready', 'active', 'closed']);
export type LobbyStatus = z.infer<typeof LobbyStatus>;

export const SettingValue = z.union([z.string().max(256), z.number().finite(), z.boolean()]);
export const LobbySettings = z
  .record(z.string().min(1).max(64), SettingValue)
  .refine((settings) => Object.keys(settings).length <= 32, 'at most 32 settings');
export type LobbySettings = z.infer<typeof LobbySettings>;

export const LobbyMember = Member.extend({ ready: z.boolean() });
export type LobbyMember = z.infer<typeof LobbyMember>;

export const Lobby = z.object({
  id: Id,
  hostId: Id,
  status: LobbyStatus,
  members: z.array(LobbyMember),
  settings: LobbySettings,
  maxPlayers: z.number().int().min(2).max(64),
  name: z.string().optional(),
  mode: Id.optional(),
  visibility: z.enum(['public', 'private']).optional(),
});
export type Lobby = z.infer<typeof Lobby>;

export const LobbyCreatePayload = z.object({
  name: DisplayName.optional(),
  mode: Id.optional(),
  maxPlayers: z.number().int().min(2).max(64),
  visibility: z.enum(['public', 'private']).optional(),
});
export const LobbyIdPayload = z.object({ lobbyId: Id });
export const LobbyResult = z.object({ lobby: Lobby });
export const LobbyReadyPayload = z.object({ lobbyId: Id, ready: z.boolean() });
export const LobbyKickPayload = z.object({ lobbyId: Id, userId: Id });
export const LobbySettingsPayload = z.object({ lobbyId: Id, settings: LobbySettings });

export const LobbyUpdate = z.object({ lobby: Lobby });
export const LobbyMemberJoined = z.object({ lobbyId: Id, member: LobbyMember });
export const LobbyMemberLeft = z.object({ lobbyId: Id, userId: Id });
export const LobbyMemberReady = z.object({ lobbyId: Id, userId: Id, ready: z.boolean() });
export const LobbyHostChanged = z.object({ lobbyId: Id, hostId: Id });
export const LobbyClosed = z.object({ lobbyId: Id, reason: z.string() });
export const LobbyStarted = z.object({ lobbyId: Id });

export const lobbyCommands = {
  'lobby:create': command(LobbyCreatePayload, LobbyResult),
  'lobby:join': command(LobbyIdPayload, LobbyResult),
  'lobby:leave': command(LobbyIdPayload, Empty),
  'lobby:subscribe': command(LobbyIdPayload, LobbyResult),
  'lobby:ready': command(LobbyReadyPayload, Empty),
  'lobby:kick': command(LobbyKickPayload, Empty),
  'lobby:settings': command(LobbySettingsPayload, LobbyResult),
  'lobby:start': command(LobbyIdPayload, Empty),
};

export const lobbyServerEvents = {
  'lobby:update': LobbyUpdate,
  'lobby:member:joined': LobbyMemberJoined,
  'lobby:member:left': LobbyMemberLeft,
  'lobby:member:kicked': LobbyMemberLeft,
  'lobby:member:ready': LobbyMemberReady,
  'lobby:host:changed': LobbyHostChanged,
  'lobby:closed': LobbyClosed,
  'lobby:started': LobbyStarted,
};
