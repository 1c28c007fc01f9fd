import type { GameRoom, GameRooms, RoomEnd } from '@tavern/client-sdk';
import { useGameRoom, useServerEvent, useTavernClient } from '@tavern/client-sdk/react';
import { useEffect, useState, type MouseEvent } from 'react';
import type { DemoContract, TagArenaView } from '../server/tag-arena.contract.js';
import { ARENA } from '../server/tag-arena.size.js';

const PALETTE = ['#f2c14e', '#6fb3e0', '#9ad07a', '#e08ad6', '#f0a060', '#7fd6c8', '#c9a0f0', '#e0e0e0'];
const ENDED: Record<Exclude<RoomEnd, 'left'>, string> = {
  closed: 'The arena closed.',
  expired: 'Your seat in the arena expired.',
  replaced: 'You play tag in another tab now.',
};

/** The matchmaking mode of the demo server whose matches end in an arena for two. */
const TAG_DUEL = 'tag-duel';

/**
 * Tag, on a game room: play in the open arena, or find an opponent through matchmaking, which
 * hands each of the two a seat reservation in a private arena. Click in the arena to run there
 * (the server moves you); whoever is it tags someone by touching them. Everyone sees where
 * everyone is, but only their own target.
 */
export function TagArenaPanel({ rooms, me }: { rooms: GameRooms<DemoContract>; me: string }) {
  const [room, setRoom] = useState<GameRoom<TagArenaView, DemoContract> | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const { state, ended } = useGameRoom(room);
  const client = useTavernClient();
  const [ticket, setTicket] = useState<string | null>(null);

  // The user holds one ticket at a time, and this panel is the demo's only way to queue.
  useServerEvent('matchmaking:matched', (matched) => {
    if (matched.room?.type !== 'tag-arena') return;
    setTicket(null);
    void rooms.joinMatch<TagArenaView>(matched).then((joined) => {
      if (joined.ok) setRoom(joined.data);
      else setProblem(joined.error.message);
    });
  });
  const searchFailed = ({ message }: { message?: string | undefined }) => {
    setTicket(null);
    setProblem(message ?? 'no opponent found');
  };
  useServerEvent('matchmaking:expired', searchFailed);
  useServerEvent('matchmaking:error', searchFailed);

  useEffect(() => {
    if (!ended) return;
    if (ended !== 'left') setProblem(ENDED[ended]);
    setRoom(null);
  }, [ended]);

  const play = async () => {
    setProblem(null);
    const joined = await rooms.joinOrCreate<TagArenaView>('tag-arena');
    if (joined.ok) setRoom(joined.data);
    else setProblem(joined.error.message);
  };

  const run = (event: MouseEvent<SVGSVGElement>) => {
    if (!room) return;
    const box = event.currentTarget.getBoundingClientRect();
    const x = ((event.clientX - box.left) / box.width) * ARENA.width;
    const y = ((event.clientY - box.top) / box.height) * ARENA.height;
    void room.send('tag:target', { x: Math.min(ARENA.width, Math.max(0, x)), y: Math.min(ARENA.height, Math.max(0, y)) }).then((sent) => {
      if (!sent.ok) setProblem(sent.error.message);
    });
  };

  const findOpponent = async () => {
    setProblem(null);
    const queued = await client.request('matchmaking:join', { mode: TAG_DUEL });
    if (queued.ok) setTicket(queued.data.ticketId);
    else setProblem(queued.error.message);
  };

  const stopSearching = (ticketId: string) => {
    setTicket(null);
    void client.request('matchmaking:cancel', { ticketId });
  };

  if (!room || !state) {
    return (
      <section className="panel" data-testid="tag">
        <h2>Tag arena</h2>
        <p className="hint">Run around an arena with the others; whoever is it tags someone by touching them.</p>
        {ticket ? (
          <p data-testid="tag-searching">
            Looking for an opponent… <button onClick={() => stopSearching(ticket)}>Cancel</button>
          </p>
        ) : (
          <p>
            <button data-testid="tag-join" onClick={() => void play()}>
              Play tag
            </button>{' '}
            <button data-testid="tag-find" onClick={() => void findOpponent()}>
              Find an opponent
            </button>
          </p>
        )}
        {problem && <p className="problem">{problem}</p>}
      </section>
    );
  }
  const runners = Object.entries(state.runners);
  const own = state.runners[me];
  // Where you are heading (only your own view has it), while you are on your way.
  const target = state.target && own && (own.x !== state.target.x || own.y !== state.target.y) ? state.target : null;
  const nameOf = (userId: string | null) => (userId && state.runners[userId]?.name) || 'someone';
  return (
    <section className="panel" data-testid="tag" data-room={room.id}>
      <h2>
        Tag arena <small>({runners.length} playing)</small>
      </h2>
      <p data-testid="tag-status" className={state.it === me ? 'tag-it' : undefined}>
        {state.it === me ? 'You are it! Touch someone.' : `${nameOf(state.it)} is it. Run!`}
      </p>
      <svg data-testid="arena" className="arena" viewBox={`0 0 ${ARENA.width} ${ARENA.height}`} onClick={run}>
        {target && <circle data-testid="arena-target" className="arena-target" cx={target.x} cy={target.y} r={4} />}
        {runners.map(([userId, runner]) => (
          <g
            key={userId}
            data-testid="runner"
            data-user={runner.name}
            data-x={runner.x}
            data-y={runner.y}
            data-it={state.it === userId ? 'yes' : 'no'}
            opacity={runner.connected ? 1 : 0.4}
          >
            <circle cx={runner.x} cy={runner.y} r={ARENA.radius} fill={PALETTE[runner.color]} stroke={state.it === userId ? '#d9534f' : '#11150f'} strokeWidth={state.it === userId ? 4 : 2} />
            <text x={runner.x} y={runner.y - ARENA.radius - 4} textAnchor="middle" fontSize={12} fill="#eee">
              {userId === me ? 'you' : runner.name}
            </text>
          </g>
        ))}
      </svg>
      <p className="hint" data-testid="tag-last">
        {state.lastTag ? `${nameOf(state.lastTag.by)} tagged ${nameOf(state.lastTag.of)}.` : 'Click in the arena to run there.'}
      </p>
      <ul data-testid="tag-scores">
        {runners
          .sort(([, a], [, b]) => b.tags - a.tags)
          .map(([userId, runner]) => (
            <li key={userId} data-testid="tag-score" data-user={runner.name} data-tags={runner.tags} className={runner.connected ? undefined : 'muted'}>
              {runner.name}: {runner.tags} {runner.tags === 1 ? 'tag' : 'tags'} {state.it === userId && <b>(it)</b>}
            </li>
          ))}
      </ul>
      {problem && <p className="problem">{problem}</p>}
      <button
        onClick={() =>
          void room.leave().then(() => {
            setRoom(null);
          })
        }
      >
        Leave the arena
      </button>
    </section>
  );
}
