// @ts-check
/**
 * The admin dashboard's script: no dependencies, no build. It keeps the admin token in
 * sessionStorage, polls the admin API (stats every second, rooms and counters every three),
 * keeps two minutes of history in memory and draws it as inline SVG. Everything the server
 * sends is written with textContent, never as HTML: room names and user ids come from users.
 *
 * Shapes: see GET /api/realtime/openapi.json (StatsResult, RoomsResult, MetricsSummaryResult).
 */

const TOKEN_KEY = 'tavern.admin.token';
const STATS_EVERY_MS = 1_000;
/** Rooms and counters are fetched every this many stats polls. */
const DETAILS_EVERY = 3;
const WINDOW_MS = 120_000;
/** The shortest time axis a chart draws, so that the first seconds do not fill it edge to edge. */
const MIN_SPAN_MS = 10_000;
const PALETTE = ['#2563eb', '#db2777', '#059669', '#d97706', '#7c3aed', '#0891b2', '#dc2626', '#4b5563'];
const SVG = 'http://www.w3.org/2000/svg';

/** @typedef {{ nodeId: string, connections: number, users: number, rooms: number, eventsPerSecond: number, uptimeMs: number, at: number }} NodeStats */
/** @typedef {{ node: NodeStats, nodes: NodeStats[], cluster: { nodes: number, connections: number, users: number, eventsPerSecond: number } }} StatsResult */
/** @typedef {{ kind: string, rooms: number, sockets: number }} RoomKindCount */
/** @typedef {{ room: string, kind: string, sockets: number }} BusyRoom */
/** @typedef {{ nodes: unknown[], cluster: { rooms: number, byKind: RoomKindCount[], busiest: BusyRoom[] } }} RoomsResult */
/** @typedef {Record<string, number>} Counts */
/** @typedef {{ events: { ok: number, refused: number }, refusals: Counts, rateLimited: Counts, floodDisconnects: number, slowConsumerDisconnects: number, handshakeRefusals: Counts, capRefusals: Counts, internalErrors: number }} MetricsFigures */
/** @typedef {{ cluster: MetricsFigures }} MetricsSummaryResult */
/** @typedef {{ t: number, v: number }} Point */
/** @typedef {{ name: string, color: string, points: Point[] }} Series */

class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * @template {Element} T
 * @param {string} selector
 * @param {new () => T} type
 * @returns {T}
 */
function $(selector, type) {
  const found = document.querySelector(selector);
  if (!(found instanceof type)) throw new Error(`the page has no ${selector}`);
  return found;
}

const ui = {
  status: $('#status', HTMLElement),
  signOut: $('#sign-out', HTMLButtonElement),
  signInPanel: $('#panel-sign-in', HTMLElement),
  signInForm: $('#sign-in-form', HTMLFormElement),
  token: $('#token', HTMLTextAreaElement),
  signInError: $('#sign-in-error', HTMLElement),
  dashboard: $('#dashboard', HTMLElement),
  clusterTiles: $('#cluster-tiles', HTMLElement),
  legend: $('#node-legend', HTMLElement),
  nodes: $('#nodes-table tbody', HTMLElement),
  kinds: $('#kinds-table tbody', HTMLElement),
  busiest: $('#busiest-table tbody', HTMLElement),
  roomsKind: $('#rooms-kind', HTMLSelectElement),
  limitTiles: $('#limit-tiles', HTMLElement),
  refusals: $('#refusals-table tbody', HTMLElement),
  rateLimited: $('#rate-limited-table tbody', HTMLElement),
  handshakes: $('#handshakes-table tbody', HTMLElement),
};

/** @type {string | null} */
let token = null;
/** @type {ReturnType<typeof setTimeout> | null} */
let timer = null;
let polls = 0;
/** Per node: two minutes of stats. @type {Map<string, NodeStats[]>} */
const history = new Map();
/** @type {Map<string, string>} */
const colors = new Map();
/** Cluster refusals and rate limits per second, from consecutive counter readings. @type {{ t: number, refused: number, rateLimited: number }[]} */
const limitHistory = [];
/** @type {{ t: number, refused: number, rateLimited: number } | null} */
let lastCounters = null;

// ---------------------------------------------------------------------------------------------
// The admin API

/**
 * @param {'GET' | 'POST' | 'PUT'} method
 * @param {string} path below /api/realtime/
 * @param {unknown} [body]
 */
async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { authorization: `Bearer ${token ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(new URL(`../api/realtime/${path}`, location.href), {
    method,
    headers,
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  /** @type {any} */
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(response.status, data?.error?.code ?? `HTTP_${response.status}`, data?.error?.message ?? response.statusText);
  }
  return data;
}

// ---------------------------------------------------------------------------------------------
// Signing in and out

/** @param {string} message */
function showSignIn(message) {
  stopPolling();
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  ui.dashboard.hidden = true;
  ui.signOut.hidden = true;
  ui.signInPanel.hidden = false;
  ui.signInError.hidden = message === '';
  ui.signInError.textContent = message;
  ui.status.textContent = 'Signed out';
  clearData();
}

/** @param {unknown} error */
function refusalMessage(error) {
  if (!(error instanceof ApiError)) return `The server could not be reached: ${error instanceof Error ? error.message : String(error)}`;
  if (error.status === 403) return `This token may not use the admin API (${error.code}): ${error.message}. It needs role admin or service.`;
  return `The server refused this token (${error.code}): ${error.message}`;
}

/** @param {string} candidate */
async function signIn(candidate) {
  token = candidate;
  ui.status.textContent = 'Signing in…';
  try {
    const stats = await api('GET', 'stats');
    sessionStorage.setItem(TOKEN_KEY, candidate);
    ui.signInPanel.hidden = true;
    ui.signInError.hidden = true;
    ui.dashboard.hidden = false;
    ui.signOut.hidden = false;
    ui.token.value = '';
    onStats(/** @type {StatsResult} */ (stats));
    polls = 0;
    await pollDetails();
    schedule();
  } catch (error) {
    showSignIn(refusalMessage(error));
  }
}

function clearData() {
  history.clear();
  colors.clear();
  limitHistory.length = 0;
  lastCounters = null;
  for (const body of [ui.nodes, ui.kinds, ui.busiest, ui.refusals, ui.rateLimited, ui.handshakes, ui.clusterTiles, ui.limitTiles, ui.legend]) body.replaceChildren();
  for (const svg of document.querySelectorAll('figure.chart svg')) svg.replaceChildren();
}

// ---------------------------------------------------------------------------------------------
// Polling

function schedule() {
  timer = setTimeout(() => void poll(), STATS_EVERY_MS);
}

function stopPolling() {
  if (timer !== null) clearTimeout(timer);
  timer = null;
}

async function poll() {
  timer = null;
  try {
    onStats(/** @type {StatsResult} */ (await api('GET', 'stats')));
    if (++polls % DETAILS_EVERY === 0) await pollDetails();
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      showSignIn(refusalMessage(error));
      return;
    }
    ui.status.textContent = `Cannot reach the server (${error instanceof Error ? error.message : String(error)}); retrying`;
  }
  if (token !== null) schedule();
}

async function pollDetails() {
  const kind = ui.roomsKind.value;
  const [rooms, metrics] = await Promise.all([
    api('GET', `rooms?limit=10${kind ? `&kind=${encodeURIComponent(kind)}` : ''}`),
    api('GET', 'metrics-summary'),
  ]);
  onRooms(/** @type {RoomsResult} */ (rooms));
  onMetrics(/** @type {MetricsSummaryResult} */ (metrics));
}

// ---------------------------------------------------------------------------------------------
// Rendering

/**
 * @param {string} tag
 * @param {Record<string, string>} [attributes]
 * @param {(Node | string)[]} children
 */
function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/** @param {number} value */
const number = (value) => value.toLocaleString('en', { maximumFractionDigits: 1 });

/** @param {number} ms */
function duration(ms) {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return `${Math.floor(ms / 1000)} s`;
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h ${minutes % 60} min` : `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/**
 * @param {HTMLElement} list
 * @param {[string, string, number][]} tiles key, label, value
 */
function renderTiles(list, tiles) {
  list.replaceChildren(...tiles.map(([key, label, value]) => el('div', { 'data-tile': key }, el('dt', {}, label), el('dd', {}, number(value)))));
}

/**
 * @param {HTMLElement} body
 * @param {(string | number)[][]} rows
 * @param {string} empty
 */
function renderRows(body, rows, empty) {
  if (rows.length === 0) {
    body.replaceChildren(el('tr', {}, el('td', { colspan: '9', class: 'empty' }, empty)));
    return;
  }
  body.replaceChildren(
    ...rows.map((cells) => el('tr', {}, ...cells.map((cell, index) => (index === 0 ? el('th', { scope: 'row' }, String(cell)) : el('td', { class: typeof cell === 'number' ? 'num' : '' }, typeof cell === 'number' ? number(cell) : cell))))),
  );
}

/** @param {Counts} counts */
const sortedCounts = (counts) => Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));

/** @param {string} nodeId */
function colorOf(nodeId) {
  let color = colors.get(nodeId);
  if (color === undefined) {
    color = PALETTE[colors.size % PALETTE.length] ?? '#000';
    colors.set(nodeId, color);
  }
  return color;
}

/** @param {StatsResult} stats */
function onStats(stats) {
  const now = Date.now();
  for (const node of stats.nodes) {
    const points = history.get(node.nodeId) ?? [];
    points.push({ ...node, at: now });
    history.set(node.nodeId, points);
  }
  for (const [nodeId, points] of history) {
    while (points.length > 0 && (points[0]?.at ?? now) < now - WINDOW_MS) points.shift();
    if (points.length === 0) history.delete(nodeId);
  }

  renderTiles(ui.clusterTiles, [
    ['nodes', 'Nodes', stats.cluster.nodes],
    ['connections', 'Connections', stats.cluster.connections],
    ['users', 'Users', stats.cluster.users],
    ['eventsPerSecond', 'Events per second', stats.cluster.eventsPerSecond],
  ]);
  renderRows(
    ui.nodes,
    stats.nodes.map((node) => [node.nodeId, node.connections, node.users, node.rooms, node.eventsPerSecond, duration(node.uptimeMs)]),
    'No node answered',
  );
  ui.legend.replaceChildren(
    ...[...history.keys()].map((nodeId) => {
      const swatch = el('span', { class: 'swatch', 'aria-hidden': 'true' });
      // CSSOM, not a style attribute: the page's CSP allows no inline styles.
      swatch.style.background = colorOf(nodeId);
      return el('li', {}, swatch, nodeId);
    }),
  );

  for (const key of /** @type {const} */ (['connections', 'users', 'rooms', 'eventsPerSecond'])) {
    /** @type {Series[]} */
    const series = [...history].map(([nodeId, points]) => ({ name: nodeId, color: colorOf(nodeId), points: points.map((point) => ({ t: point.at, v: point[key] })) }));
    drawChart(key, series, now);
  }
  ui.status.textContent = `Updated ${new Date(now).toLocaleTimeString('en-GB')}`;
}

/** @param {RoomsResult} rooms */
function onRooms(rooms) {
  const { byKind, busiest } = rooms.cluster;
  renderRows(ui.kinds, byKind.map((kind) => [kind.kind, kind.rooms, kind.sockets]), 'No rooms');
  renderRows(ui.busiest, busiest.map((room) => [room.room, room.kind, room.sockets]), 'No rooms');
  const selected = ui.roomsKind.value;
  const kinds = new Set([...byKind.map((kind) => kind.kind), ...(selected ? [selected] : [])]);
  ui.roomsKind.replaceChildren(el('option', { value: '' }, 'any kind'), ...[...kinds].sort().map((kind) => el('option', { value: kind }, kind)));
  ui.roomsKind.value = selected;
}

/** @param {MetricsSummaryResult} summary */
function onMetrics({ cluster }) {
  const now = Date.now();
  const rateLimited = Object.values(cluster.rateLimited).reduce((sum, value) => sum + value, 0);
  const handshakeRefusals = Object.values(cluster.handshakeRefusals).reduce((sum, value) => sum + value, 0);
  renderTiles(ui.limitTiles, [
    ['refused', 'Events refused', cluster.events.refused],
    ['rateLimited', 'Rate limits hit', rateLimited],
    ['slowConsumers', 'Slow consumers cut', cluster.slowConsumerDisconnects],
    ['floods', 'Flood disconnects', cluster.floodDisconnects],
    ['handshakes', 'Handshakes refused', handshakeRefusals],
    ['internal', 'Internal errors', cluster.internalErrors],
  ]);
  renderRows(ui.refusals, sortedCounts(cluster.refusals), 'No refusals');
  renderRows(ui.rateLimited, sortedCounts(cluster.rateLimited), 'No rate limit hit');
  renderRows(
    ui.handshakes,
    [...sortedCounts(cluster.handshakeRefusals).map(([code, count]) => [`handshake ${code}`, count]), ...sortedCounts(cluster.capRefusals).map(([cap, count]) => [`cap ${cap}`, count])],
    'None',
  );

  const counters = { t: now, refused: cluster.events.refused, rateLimited };
  if (lastCounters) {
    const seconds = Math.max(0.001, (now - lastCounters.t) / 1000);
    // A node that restarts starts its counters again: never a negative rate.
    limitHistory.push({ t: now, refused: Math.max(0, counters.refused - lastCounters.refused) / seconds, rateLimited: Math.max(0, counters.rateLimited - lastCounters.rateLimited) / seconds });
  }
  lastCounters = counters;
  while (limitHistory.length > 0 && (limitHistory[0]?.t ?? now) < now - WINDOW_MS) limitHistory.shift();
  drawChart('refusedPerSecond', [{ name: 'cluster', color: PALETTE[6] ?? '#dc2626', points: limitHistory.map((point) => ({ t: point.t, v: point.refused })) }], now);
  drawChart('rateLimitedPerSecond', [{ name: 'cluster', color: PALETTE[3] ?? '#d97706', points: limitHistory.map((point) => ({ t: point.t, v: point.rateLimited })) }], now);
}

// ---------------------------------------------------------------------------------------------
// Charts: one polyline per series over the last two minutes at most, on an axis from 0 to a round maximum

const WIDTH = 400;
const HEIGHT = 160;
const PAD = { left: 48, right: 6, top: 10, bottom: 22 };

/** 1, 2 or 5 times a power of ten, at least `value`. @param {number} value */
function roundUp(value) {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/**
 * @param {string} name
 * @param {Record<string, string | number>} attributes
 * @param {string} [text]
 */
function svg(name, attributes, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/**
 * @param {string} key the figure's data-chart
 * @param {Series[]} series
 * @param {number} now
 */
function drawChart(key, series, now) {
  const figure = document.querySelector(`figure[data-chart="${key}"]`);
  const canvas = figure?.querySelector('svg');
  const caption = figure?.querySelector('figcaption')?.textContent ?? key;
  if (!canvas) return;
  const max = roundUp(Math.max(0, ...series.flatMap((each) => each.points.map((point) => point.v))));
  // The time axis grows with the history, from MIN_SPAN_MS up to the whole window.
  const oldest = Math.min(now, ...series.flatMap((each) => each.points.map((point) => point.t)));
  const span = Math.min(WINDOW_MS, Math.max(MIN_SPAN_MS, now - oldest));
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const x = (/** @type {number} */ t) => PAD.left + ((t - (now - span)) / span) * plotWidth;
  const y = (/** @type {number} */ v) => PAD.top + plotHeight - (v / max) * plotHeight;

  /** @type {SVGElement[]} */
  const parts = [];
  for (const fraction of [0, 0.5, 1]) {
    const level = max * fraction;
    parts.push(svg('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(level), y2: y(level), class: 'grid' }));
    parts.push(svg('text', { x: PAD.left - 6, y: y(level) + 5, 'text-anchor': 'end', class: 'axis' }, number(level)));
  }
  parts.push(svg('text', { x: PAD.left, y: HEIGHT - 4, class: 'axis' }, `${duration(span)} ago`));
  parts.push(svg('text', { x: WIDTH - PAD.right, y: HEIGHT - 4, 'text-anchor': 'end', class: 'axis' }, 'now'));
  for (const each of series) {
    const points = each.points.map((point) => `${x(point.t).toFixed(1)},${y(point.v).toFixed(1)}`).join(' ');
    parts.push(svg('polyline', { points, fill: 'none', stroke: each.color, 'stroke-width': 2, 'stroke-linejoin': 'round', 'data-series': each.name, 'data-count': each.points.length }));
  }
  canvas.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  canvas.replaceChildren(...parts);
  const latest = series.map((each) => `${each.name} ${number(each.points.at(-1)?.v ?? 0)}`).join(', ');
  canvas.setAttribute('aria-label', `${caption}, last ${duration(span)}: ${latest || 'no data yet'}`);
}

// ---------------------------------------------------------------------------------------------
// Actions

/**
 * A form field's text ('' when absent).
 * @param {FormData} data
 * @param {string} name
 */
function field(data, name) {
  const value = data.get(name);
  return typeof value === 'string' ? value : '';
}

/** @param {string} text */
const ids = (text) => text.split(/[\s,]+/).map((id) => id.trim()).filter(Boolean);

/** @type {Record<string, (data: FormData) => Promise<string>>} */
const actions = {
  async announce(data) {
    const { id } = await api('POST', 'announce', { message: field(data, 'message'), priority: field(data, 'priority') });
    return `Announcement ${id} sent to every connected client.`;
  },
  async notify(data) {
    const { notified } = await api('POST', 'notify', {
      userIds: ids(field(data, 'userIds')),
      type: field(data, 'type'),
      title: field(data, 'title'),
      body: field(data, 'body'),
    });
    return `Notification stored for ${notified} user(s).`;
  },
  async disconnect(data) {
    const userId = field(data, 'userId').trim();
    const { disconnected } = await api('POST', `users/${encodeURIComponent(userId)}/disconnect`, { reason: field(data, 'reason') });
    return disconnected ? `Every session of ${userId} was ended.` : `${userId} is not online.`;
  },
  async revoke(data) {
    const jti = field(data, 'jti').trim();
    const userId = field(data, 'userId').trim();
    const until = Date.now() + Number(field(data, 'minutes')) * 60_000;
    await api('POST', 'revoke', { ...(jti && { jti }), ...(userId && { userId }), until });
    return `Revoked until ${new Date(until).toLocaleString('en-GB')}.`;
  },
  async guild(data) {
    const guildId = field(data, 'guildId').trim();
    const { members } = await api('PUT', `guilds/${encodeURIComponent(guildId)}/members`, { userIds: ids(field(data, 'userIds')) });
    return `Guild ${guildId} now has ${members} member(s) set by the admin API.`;
  },
};

for (const form of document.querySelectorAll('form[data-action]')) {
  if (!(form instanceof HTMLFormElement)) continue;
  const action = actions[form.dataset['action'] ?? ''];
  const output = form.querySelector('output');
  const button = form.querySelector('button[type=submit]');
  if (!action || !output || !(button instanceof HTMLButtonElement)) continue;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    button.disabled = true;
    output.className = '';
    output.textContent = 'Sending…';
    action(new FormData(form))
      .then((message) => {
        output.className = 'ok';
        output.textContent = message;
      })
      .catch((/** @type {unknown} */ error) => {
        if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
          showSignIn(refusalMessage(error));
          return;
        }
        output.className = 'error';
        output.textContent = error instanceof ApiError ? `${error.code}: ${error.message}` : `Failed: ${String(error)}`;
      })
      .finally(() => {
        button.disabled = false;
      });
  });
}

// ---------------------------------------------------------------------------------------------
// Start

ui.signInForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const candidate = ui.token.value.trim();
  if (candidate !== '') void signIn(candidate);
});
ui.signOut.addEventListener('click', () => showSignIn(''));
ui.roomsKind.addEventListener('change', () => {
  pollDetails().catch(() => undefined);
});

const stored = sessionStorage.getItem(TOKEN_KEY);
if (stored) void signIn(stored);
else ui.status.textContent = 'Signed out';
