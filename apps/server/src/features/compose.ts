/**
 * Turns the features a server is given into what it runs: one contract from their slices,
 * every feature created with its context and settings, and the routing table of the
 * dispatcher. Composition mistakes (an event declared twice, a handler missing, a feature
 * that emits a slice nobody runs, bad settings) throw here, at start-up.
 */
import { defineContract, type Contract, type Slice } from '@tavern/protocol';
import type { Config } from '../config.js';
import type { Logger } from '../platform/logger.js';
import { resolveSettings } from '../platform/settings.js';
import type { RealtimeService } from '../realtime/realtime.service.js';
import type { HandlerContext } from '../transport/handler-context.js';
import type { Route } from '../transport/dispatcher.js';
import type { AnyFeature, FeatureContext, FeatureParts } from './feature.js';

/** The context every feature shares; `compose` adds the per-feature parts. */
export type SharedContext = Omit<FeatureContext, 'name' | 'settings' | 'logger' | 'emitTo' | 'broadcast' | 'contract'>;

export interface ComposedFeature {
  readonly name: string;
  readonly parts: FeatureParts<Slice>;
}

/** The one slice every server runs: the handshake's events, errors, refresh and time sync. */
export const CORE_SLICE_ID = 'session';

/** The contract of a list of features, checked: what `createRealtimeServer` would serve. */
export function contractOf(features: readonly AnyFeature[]): Contract {
  const names = new Set<string>();
  for (const feature of features) {
    if (names.has(feature.name)) throw new Error(`feature ${feature.name} is given twice`);
    names.add(feature.name);
  }
  const slices = features.map((feature) => feature.slice).filter((slice) => Object.keys(slice.clientEvents).length + Object.keys(slice.serverEvents).length > 0);
  if (!slices.some((slice) => slice.id === CORE_SLICE_ID)) {
    throw new Error('the session feature is required: it serves the events every connection needs (session:ready, error, auth:refresh, ...)');
  }
  const contract = defineContract(...slices);
  const running = new Set(slices);
  for (const feature of features) {
    for (const slice of feature.emits) {
      if (!running.has(slice)) throw new Error(`feature ${feature.name} sends ${slice.id} events, but no running feature serves the ${slice.id} slice`);
    }
  }
  return contract;
}

export interface Composition {
  contract: Contract;
  features: ComposedFeature[];
  routes: Route[];
}

export function composeFeatures(
  features: readonly AnyFeature[],
  shared: SharedContext & { realtime: RealtimeService },
  config: Config,
  logger: Logger,
  contract: Contract = contractOf(features),
): Composition {
  const { realtime } = shared;
  const composed: ComposedFeature[] = [];
  const routes: Route[] = [];
  for (const feature of features) {
    const settings = resolveSettings(feature.name, feature.settings, (config.features[feature.name] ?? {}) as object, feature.overrides as object);
    const context: FeatureContext = {
      ...shared,
      name: feature.name,
      settings,
      logger: logger.child({ feature: feature.name }),
      contract,
      emitTo: (room, event, data, options) => realtime.emit(room, event, data, options),
      broadcast: (event, data, options) => realtime.broadcast(event, data, options),
    };
    const parts = feature.create(context as never) as FeatureParts<Slice>;
    const handlers = (parts.handlers ?? {}) as Record<string, unknown>;
    const slice: Slice = feature.slice;
    for (const [event, schema] of Object.entries(slice.clientEvents)) {
      const handler = Object.hasOwn(handlers, event) ? handlers[event] : undefined;
      if (handler === undefined) throw new Error(`feature ${feature.name} declares ${event} but has no handler for it`);
      const entry = typeof handler === 'function' ? { run: handler } : (handler as { run: unknown; onRefused?: unknown });
      if (typeof entry.run !== 'function') throw new Error(`feature ${feature.name}: the handler of ${event} is not a function`);
      if (schema.kind === 'command' && typeof handler !== 'function') throw new Error(`feature ${feature.name}: ${event} is a command; give a function`);
      routes.push({
        event,
        feature: feature.name,
        schema,
        run: entry.run as (ctx: HandlerContext, payload: unknown) => unknown,
        onRefused: entry.onRefused as Route['onRefused'],
      });
    }
    for (const event of Object.keys(handlers)) {
      if (!Object.hasOwn(slice.clientEvents, event)) throw new Error(`feature ${feature.name} has a handler for ${event}, which its slice does not declare`);
    }
    composed.push({ name: feature.name, parts });
  }
  return { contract, features: composed, routes };
}
