/**
 * The refusal and limit counters of this node's Prometheus registry, as JSON for the admin API
 * (`GET /api/realtime/metrics-summary`), and their sum over the nodes of a cluster. Every key
 * is a label value of a bounded label (an event of the contract, an error code, a cap).
 */
import type { MetricsFigures, NodeMetrics } from '@tavern/protocol';
import type { Metrics } from '../../api.js';

type Counts = Record<string, number>;
type Series = { values: { value: number; labels: Partial<Record<string, string | number>> }[] };

const add = (counts: Counts, key: string, value: number) => {
  if (value > 0) counts[key] = (counts[key] ?? 0) + value;
};

/** Sums a counter's series by one label, skipping the series whose label is `skip`. */
function byLabel({ values }: Series, label: string, skip?: string): Counts {
  const counts: Counts = {};
  for (const { value, labels } of values) {
    const key = String(labels[label] ?? '');
    if (key !== skip) add(counts, key, value);
  }
  return counts;
}

const total = ({ values }: Series) => values.reduce((sum, { value }) => sum + value, 0);
const sum = (counts: Counts) => Object.values(counts).reduce((all, value) => all + value, 0);

/** This node's figures since it started. Reading a counter moves its pending hot increments in, as a scrape does. */
export async function nodeMetrics(metrics: Metrics, nodeId: string): Promise<NodeMetrics> {
  const [events, rateLimited, flood, slow, handshakes, caps, internal] = await Promise.all([
    metrics.events.get(),
    metrics.rateLimited.get(),
    metrics.floodDisconnects.get(),
    metrics.slowConsumerDisconnects.get(),
    metrics.handshakes.get(),
    metrics.capRefusals.get(),
    metrics.internalErrors.get(),
  ]);
  const refusals = byLabel(events, 'outcome', 'ok');
  return {
    nodeId,
    at: Date.now(),
    events: { ok: byLabel(events, 'outcome')['ok'] ?? 0, refused: sum(refusals) },
    refusals,
    rateLimited: byLabel(rateLimited, 'event'),
    floodDisconnects: total(flood),
    slowConsumerDisconnects: total(slow),
    handshakeRefusals: byLabel(handshakes, 'outcome', 'ok'),
    capRefusals: byLabel(caps, 'cap'),
    internalErrors: total(internal),
  };
}

function mergeCounts(all: readonly Counts[]): Counts {
  const merged: Counts = {};
  for (const counts of all) for (const [key, value] of Object.entries(counts)) add(merged, key, value);
  return merged;
}

/** The cluster's figures: every counter summed over the nodes. */
export function mergeMetrics(nodes: readonly NodeMetrics[]): MetricsFigures {
  const over = (pick: (node: NodeMetrics) => number) => nodes.reduce((all, node) => all + pick(node), 0);
  return {
    events: { ok: over((node) => node.events.ok), refused: over((node) => node.events.refused) },
    refusals: mergeCounts(nodes.map((node) => node.refusals)),
    rateLimited: mergeCounts(nodes.map((node) => node.rateLimited)),
    floodDisconnects: over((node) => node.floodDisconnects),
    slowConsumerDisconnects: over((node) => node.slowConsumerDisconnects),
    handshakeRefusals: mergeCounts(nodes.map((node) => node.handshakeRefusals)),
    capRefusals: mergeCounts(nodes.map((node) => node.capRefusals)),
    internalErrors: over((node) => node.internalErrors),
  };
}
