/**
 * Server-authoritative combat over sockets. The session lives in the store and each change
 * is compare-and-set on its turn number, so any node can serve any participant, two nodes
 * never resolve one turn twice, and a participant who reconnects (anywhere) finds the fight
 * as it is. NPC turns are played by the server at once; a player's turn that passes its
 * deadline is played as `defend` by whichever node's sweep gets there first.
 */
import { combatSlice, ErrorCode, rooms, worldSlice, type CombatResult } from '@tavern/protocol';
import { AppError, characterIdOf, conflict, defineFeature, notFound, randomId } from '../../api.js';
import { combatSettings } from './combat.settings.js';
import { MemoryCombatStore, RedisCombatStore } from './combat.store.js';
import { apply, CombatRuleError, createSession, newSeed, npcAction, winners, type Action, type Fighter, type Session } from './engine.js';

const PLAYER = { hp: 100, mana: 50, attack: 12, speed: 5 };

export const combatFeature = defineFeature({
  name: 'combat',
  slice: combatSlice,
  emits: [worldSlice],
  settings: combatSettings,
  create: ({ redis, rooms: roomService, services, logger: log, settings, emitTo }) => {
    const store = redis ? new RedisCombatStore(redis) : new MemoryCombatStore();
    const { turnMs } = settings;
    let sweeper: NodeJS.Timeout | null = null;
    roomService.setPolicy('combat', async (user, room) => (await store.sessionOf(user.userId)) === room.id);

    /** Plays `first`, then every NPC turn that follows; returns one result per action. */
    function play(session: Session, first: Action, now: number): CombatResult[] {
      const results: CombatResult[] = [];
      let action: Action | null = first;
      while (action) {
        const effects = apply(session, action, now, turnMs);
        results.push({ sessionId: session.state.sessionId, turn: session.state.turn - 1, actorId: action.actorId, action: action.action, effects, state: structuredClone(session.state) });
        const current = session.state.combatants.find((each) => each.id === session.state.currentActorId);
        action = session.state.status === 'active' && current?.kind === 'npc' ? npcAction(session) : null;
      }
      return results;
    }

    /** Tells the participants what happened and whose turn it is; ends the fight if over. */
    async function publish(session: Session, results: readonly CombatResult[]): Promise<void> {
      const { sessionId } = session.state;
      for (const result of results) emitTo(rooms.combat(sessionId), 'combat:result', result);
      // Players whose hp or mana changed get their character:status.
      const touched = new Set(results.flatMap((result) => [result.actorId, ...result.effects.map((effect) => effect.targetId)]));
      for (const fighter of session.state.combatants) {
        const userId = session.users[fighter.id];
        if (fighter.kind !== 'player' || userId === undefined || !touched.has(fighter.id)) continue;
        emitTo(rooms.user(userId), 'character:status', { characterId: fighter.id, hp: fighter.hp, maxHp: fighter.maxHp, mana: fighter.mana, maxMana: fighter.maxMana, effects: [] });
      }
      const { state } = session;
      if (state.status === 'ended') {
        emitTo(rooms.combat(sessionId), 'combat:ended', { sessionId, outcome: state.outcome ?? 'draw', winners: winners(session) });
        const users = Object.values(session.users);
        await store.setSessionOf(users, null);
        for (const userId of users) roomService.leaveUser(userId, rooms.combat(sessionId));
        return;
      }
      if (state.currentActorId && state.deadline !== null) {
        emitTo(rooms.combat(sessionId), 'combat:turn', { sessionId, turn: state.turn, actorId: state.currentActorId, deadline: state.deadline });
      }
    }

    async function sweep(): Promise<void> {
      const now = Date.now();
      for (const sessionId of await store.overdue(now)) {
        const session = await store.get(sessionId);
        if (!session || session.state.status !== 'active' || session.state.deadline === null || session.state.deadline > now) continue;
        const turn = session.state.turn;
        const results = play(session, { actorId: session.state.currentActorId!, action: 'defend' }, now);
        // Another node may have played this turn first: then this one does nothing.
        if (await store.replace(sessionId, turn, session)) await publish(session, results);
      }
    }

    return {
      handlers: {
        'combat:start': async ({ socket, user }, { opponents }) => {
          const world = services.get('world');
          const where = await world.locate(user.userId);
          if (!where) throw new AppError(ErrorCode.PRECONDITION_FAILED, 'enter a zone before fighting');
          if (await store.sessionOf(user.userId)) throw conflict('you are already in a fight');
          const present = new Map((await world.players(where.zoneId)).map((player) => [player.characterId, player]));
          // Party members in the same zone, not already fighting, fight alongside.
          const allies = new Set([user.userId, ...((await services.find('parties')?.membersOf(user.userId)) ?? [])]);
          const fighters: Fighter[] = [];
          const users: Record<string, string> = {};
          for (const player of present.values()) {
            if (!allies.has(player.userId)) continue;
            if (player.userId !== user.userId && (await store.sessionOf(player.userId))) continue;
            fighters.push({ id: player.characterId, kind: 'player', name: player.name, team: 'a', ...PLAYER });
            users[player.characterId] = player.userId;
          }
          if (!users[characterIdOf(user)]) {
            fighters.push({ id: characterIdOf(user), kind: 'player', name: user.name, team: 'a', ...PLAYER });
            users[characterIdOf(user)] = user.userId;
          }
          let n = 0;
          for (const opponent of opponents) {
            if (opponent.type === 'npc') {
              const template = world.npc(where.zoneId, opponent.id);
              if (!template) throw notFound(`NPC ${opponent.id} in ${where.zoneId}`);
              fighters.push({ ...template, kind: 'npc', mana: 0, id: `npc.${opponent.id}.${++n}`, team: 'b' });
            } else {
              // Nobody is pulled into a fight against their will: players fight players only where the zone says so.
              if (!world.pvp(where.zoneId)) throw new AppError(ErrorCode.FORBIDDEN, `${where.zoneId} is not a PvP zone: fight NPCs here`);
              const player = present.get(opponent.characterId);
              if (!player) throw new AppError(ErrorCode.PRECONDITION_FAILED, `${opponent.characterId} is not in ${where.zoneId}`);
              if (users[player.characterId] || (await store.sessionOf(player.userId))) throw conflict(`${opponent.characterId} cannot join this fight`);
              fighters.push({ id: player.characterId, kind: 'player', name: player.name, team: 'b', ...PLAYER });
              users[player.characterId] = player.userId;
            }
          }
          const sessionId = `c${randomId(9)}`;
          roomService.assertCanJoin(socket, rooms.combat(sessionId));
          const now = Date.now();
          // The seed stays in the stored session: the state clients get never carries it.
          const session = createSession(sessionId, where.zoneId, fighters, newSeed(), now, turnMs);
          session.users = users;
          const first = session.state.combatants.find((each) => each.id === session.state.currentActorId);
          const results = first?.kind === 'npc' ? play(session, npcAction(session), now) : [];
          if (!(await store.replace(sessionId, null, session))) throw conflict('session id collision');
          await store.setSessionOf(Object.values(users), sessionId);
          for (const userId of Object.values(users)) roomService.joinUser(userId, rooms.combat(sessionId));
          await publish(session, results);
          return { sessionId, state: session.state };
        },
        'combat:action': async ({ user }, { sessionId, turn, action, targetId, skillId, itemId }) => {
          const session = await store.get(sessionId);
          if (!session) throw notFound(`fight ${sessionId}`);
          const actorId = characterIdOf(user);
          if (session.users[actorId] !== user.userId) throw new AppError(ErrorCode.PRECONDITION_FAILED, 'that is not your fight');
          if (turn !== session.state.turn) throw new AppError(ErrorCode.PRECONDITION_FAILED, `it is turn ${session.state.turn}, not ${turn}`);
          let results: CombatResult[];
          try {
            results = play(session, { actorId, action, targetId, skillId, itemId }, Date.now());
          } catch (error) {
            if (error instanceof CombatRuleError) throw new AppError(ErrorCode.PRECONDITION_FAILED, error.message);
            throw error;
          }
          if (!(await store.replace(sessionId, turn, session))) throw new AppError(ErrorCode.PRECONDITION_FAILED, 'the turn has moved on');
          await publish(session, results);
          return { result: results[0]! };
        },
      },
      start() {
        sweeper = setInterval(() => {
          sweep().catch((error: unknown) => {
            if (!(error instanceof AppError)) log.error({ err: error }, 'combat deadline sweep failed');
          });
        }, settings.sweepMs);
        sweeper.unref();
      },
      stop() {
        if (sweeper) clearInterval(sweeper);
      },
      async onConnect(socket) {
        // A participant who reconnects finds their fight where it is.
        const sessionId = await store.sessionOf(socket.data.user.userId).catch(() => null);
        if (sessionId) await socket.join(rooms.combat(sessionId));
      },
    };
  },
});
