/**
 * The bench game as a Colyseus room: the same field, input queue, 20 Hz simulation interval
 * and 50 ms patch rate as Tavern's room type, with the state in @colyseus/schema (a map of
 * players with number fields, Colyseus's binary delta encoding). The input is validated
 * like Tavern's before it is queued; an invalid one is dropped.
 */
import { Room, type Client } from '@colyseus/core';
import { MapSchema, schema } from '@colyseus/schema';
import { applyInputs, COLYSEUS_INPUT, isInput, MAX_PLAYERS, PATCH_MS, spawnPoint, TICK_HZ, type Input } from './game.js';

export const ColyseusPlayer = schema({ x: 'number', y: 'number', score: 'number' }, 'BenchPlayer');
export const ColyseusState = schema({ players: { map: ColyseusPlayer } }, 'BenchState');
type State = InstanceType<typeof ColyseusState>;

export class ColyseusBenchRoom extends Room<State> {
  override maxClients = MAX_PLAYERS;
  private readonly queues = new Map<string, Input[]>();
  private joinedCount = 0;

  override onCreate(): void {
    this.setState(new ColyseusState({ players: new MapSchema() }));
    // Tick first, then the patch interval: two 50 ms intervals fire in the order they were
    // made, so this way a tick's changes go out at once, as in Tavern's room (its tick timer
    // is made before its patch timer). The other way round every change would wait ~50 ms.
    this.setSimulationInterval(() => this.tick(), 1000 / TICK_HZ);
    this.patchRate = PATCH_MS;
    this.onMessage(COLYSEUS_INPUT, (client: Client, message: unknown) => {
      if (isInput(message)) this.queues.get(client.sessionId)?.push({ dx: message.dx, dy: message.dy });
    });
  }

  override onJoin(client: Client): void {
    this.state.players.set(client.sessionId, new ColyseusPlayer(spawnPoint(this.joinedCount++)));
    this.queues.set(client.sessionId, []);
  }

  override onLeave(client: Client): void {
    this.state.players.delete(client.sessionId);
    this.queues.delete(client.sessionId);
  }

  private tick(): void {
    for (const [sessionId, queue] of this.queues) {
      const player = this.state.players.get(sessionId);
      if (player && queue.length > 0) applyInputs(player, queue);
    }
  }
}
