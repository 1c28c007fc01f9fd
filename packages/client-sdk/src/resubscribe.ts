/**
 * Shared sessions that must survive a reconnect: lobbies and planning-poker sessions. After
 * every reconnect the client subscribes again and hands the app the state as it is now
 * (what changed while it was away included).
 *
 * @example
 * const sessions = new SessionTracker(client);
 * sessions.lobby(lobbyId, (lobby) => renderLobby(lobby));
 * await sessions.poker('sprint-42', { role: 'player' }, (session) => renderTable(session));
 */
import type { ClientPayload, Lobby, PokerSession } from '@tavern/protocol';
import type { TavernClient } from './create-client.js';

type PokerJoin = Omit<ClientPayload<'poker:join'>, 'sessionId'>;

export class SessionTracker {
  private readonly lobbies = new Map<string, (lobby: Lobby) => void>();
  private readonly pokers = new Map<string, { join: PokerJoin; onState: (session: PokerSession) => void }>();
  private readonly stops: (() => void)[] = [];

  constructor(private readonly client: TavernClient) {
    this.stops.push(
      client.on('session:ready', () => void this.refresh()),
      client.on('lobby:update', ({ lobby }) => this.lobbies.get(lobby.id)?.(lobby)),
    );
  }

  /** Follows a lobby the user is a member of; resolves with its current state. */
  async lobby(lobbyId: string, onState: (lobby: Lobby) => void): Promise<void> {
    this.lobbies.set(lobbyId, onState);
    await this.subscribeLobby(lobbyId);
  }

  /** Joins a poker session and follows it; joining again after a reconnect keeps the vote. */
  async poker(sessionId: string, join: PokerJoin, onState: (session: PokerSession) => void): Promise<void> {
    this.pokers.set(sessionId, { join, onState });
    await this.joinPoker(sessionId);
  }

  forget(id: string): void {
    this.lobbies.delete(id);
    this.pokers.delete(id);
  }

  dispose(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  private async subscribeLobby(lobbyId: string): Promise<void> {
    const result = await this.client.request('lobby:subscribe', { lobbyId });
    if (result.ok) this.lobbies.get(lobbyId)?.(result.data.lobby);
    else if (result.error.code === 'NOT_FOUND' || result.error.code === 'FORBIDDEN') this.lobbies.delete(lobbyId); // closed, or no longer a member
  }

  private async joinPoker(sessionId: string): Promise<void> {
    const tracked = this.pokers.get(sessionId);
    if (!tracked) return;
    const result = await this.client.request('poker:join', { sessionId, ...tracked.join });
    if (result.ok) tracked.onState(result.data.session);
  }

  private async refresh(): Promise<void> {
    await Promise.all([
      ...[...this.lobbies.keys()].map((lobbyId) => this.subscribeLobby(lobbyId).catch(() => undefined)),
      ...[...this.pokers.keys()].map((sessionId) => this.joinPoker(sessionId).catch(() => undefined)),
    ]);
  }
}
