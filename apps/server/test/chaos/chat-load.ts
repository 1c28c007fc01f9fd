/**
 * Chat load for chaos scenarios: SDK clients through the load balancer, each tracking one
 * channel with ChannelSync, each sending messages with idempotency keys. `settle()` waits
 * until every client holds every accepted message and counts what was lost or duplicated.
 */
import { ChannelSync, createClient, type Message, type TavernClient } from '@tavern/client-sdk';
import type { ChaosCluster } from './cluster.js';

export interface ChatLoad {
  readonly clients: TavernClient[];
  /** Every client sends one message (in parallel); refusals are counted, not accepted. */
  sendRound(): Promise<void>;
  /** Milliseconds until every client is connected again (0 when they all are). */
  waitAllConnected(timeoutMs: number): Promise<number>;
  settle(timeoutMs: number): Promise<{ sent: number; accepted: number; refused: number; refusals: string; lost: number; duplicated: number; outOfOrder: number }>;
  /** Resolves once some client has noticed a lost connection. */
  waitSomeDisconnected(timeoutMs: number): Promise<void>;
  /** Session-ready timestamps after each client's first one (reconnects). */
  readonly reconnectTimes: number[];
  /** How many of those reconnects resumed their session (`session:ready.recovered`). */
  readonly recoveredReconnects: () => number;
  close(): void;
}

export async function startChatLoad(cluster: Pick<ChaosCluster, 'nginx' | 'token'>, count: number, channelId: string): Promise<ChatLoad> {
  const clients: TavernClient[] = [];
  const delivered: Message[][] = [];
  const segments: number[][] = [];
  const history: Message[][] = [];
  const accepted = new Map<string, number>();
  const reconnectTimes: number[] = [];
  let recoveredReconnects = 0;
  const joins: Promise<void>[] = [];
  let sent = 0;
  let refused = 0;
  const refusals = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const client = createClient({
      url: cluster.nginx.url,
      getToken: () => cluster.token(`chaos-${i}`),
      // A handshake that hangs (a node going away mid-upgrade behind nginx) fails after 5 s
      // instead of socket.io's 20 s, and the client tries again.
      socketOptions: { transports: ['websocket'], timeout: 5_000 },
      reconnect: { initialDelayMs: 100, maxDelayMs: 2_000 },
      timeoutMs: 15_000,
    });
    const messages: Message[] = [];
    // After a reload (the history started over) the app loads the channel's history again;
    // those messages count as received, while order and duplicates are checked on what the
    // SDK delivered live, within each epoch.
    const reloadAt: number[] = [];
    const loaded: Message[] = [];
    const sync = new ChannelSync(client, {
      onMessages: (_channel, batch) => messages.push(...batch),
      onReload: (channel) => {
        reloadAt.push(messages.length);
        void client.request('chat:history', { channelId: channel, limit: 100 }).then((result) => {
          if (result.ok) loaded.push(...result.data.messages);
        });
      },
    });
    history.push(loaded);
    segments.push(reloadAt);
    let ready = 0;
    client.on('session:ready', (session) => {
      if (ready++ === 0) return;
      reconnectTimes.push(Date.now());
      if (session.recovered) recoveredReconnects++;
    });
    clients.push(client);
    delivered.push(messages);
    joins.push(
      (async () => {
        while (client.state !== 'connected') await new Promise((resolve) => setTimeout(resolve, 20));
        const joined = await sync.join(channelId, 0);
        if (!joined.ok) throw new Error(`client ${i} could not join: ${joined.error.message}`);
      })(),
    );
  }
  // Every client has joined (and knows where the channel is) before the first message.
  await Promise.all(joins);

  let round = 0;
  return {
    clients,
    reconnectTimes,
    recoveredReconnects: () => recoveredReconnects,
    async sendRound() {
      const r = round++;
      await Promise.all(
        clients.map(async (client, i) => {
          sent++;
          const result = await client
            .request('chat:send', { channelId, content: `round ${r} from ${i}`, clientMsgId: `r${r}-c${i}` })
            .catch(() => null);
          if (result?.ok) accepted.set(result.data.message.id, result.data.message.seq);
          else {
            refused++;
            const code = result ? result.error.code : 'CLIENT_ERROR';
            refusals.set(code, (refusals.get(code) ?? 0) + 1);
          }
        }),
      );
    },
    async waitSomeDisconnected(timeoutMs) {
      const begin = Date.now();
      while (clients.every((client) => client.state === 'connected') && Date.now() - begin < timeoutMs) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async waitAllConnected(timeoutMs) {
      const begin = Date.now();
      while (clients.some((client) => client.state !== 'connected')) {
        if (Date.now() - begin > timeoutMs) {
          const states = clients.map((client, i) => `${i}:${client.state}${client.closeReason ? `(${client.closeReason.code})` : ''}`).filter((entry) => !entry.endsWith(':connected'));
          throw new Error(`not all clients reconnected within ${timeoutMs} ms: ${states.join(' ')}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return Date.now() - begin;
    },
    async settle(timeoutMs) {
      const begin = Date.now();
      const received = (client: number) => new Set([...delivered[client]!, ...history[client]!].map((message) => message.id));
      const complete = () => delivered.every((_, client) => {
        const ids = received(client);
        return [...accepted.keys()].every((id) => ids.has(id));
      });
      while (!complete() && Date.now() - begin < timeoutMs) await new Promise((resolve) => setTimeout(resolve, 100));
      let lost = 0;
      let duplicated = 0;
      let outOfOrder = 0;
      delivered.forEach((messages, client) => {
        const ids = messages.map((message) => message.id);
        duplicated += ids.length - new Set(ids).size;
        const all = received(client);
        const missing = [...accepted].filter(([id]) => !all.has(id)).map(([, seq]) => seq);
        lost += missing.length;
        if (missing.length > 0 && process.env['CHAOS_DEBUG']) {
          process.stdout.write(`[chaos-debug] client ${client} state=${clients[client]!.state} missing=${missing.sort((a, b) => a - b).join(',')} delivered=${messages.length} lastDelivered=${messages.at(-1)?.seq} reloads=${segments[client]!.length}\n`);
        }
        const breaks = new Set(segments[client]);
        for (let i = 1; i < messages.length; i++) if (!breaks.has(i) && messages[i]!.seq <= messages[i - 1]!.seq) outOfOrder++;
      });
      const why = [...refusals].map(([code, n]) => `${code}:${n}`).join(',') || 'none';
      return { sent, accepted: accepted.size, refused, refusals: why, lost, duplicated, outOfOrder };
    },
    close() {
      for (const client of clients) client.close();
    },
  };
}
