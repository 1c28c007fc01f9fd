import { createContext, createElement, useContext, type ReactNode } from 'react';
import type { TavernClient } from '../create-client.js';

const TavernContext = createContext<TavernClient | null>(null);

export interface TavernProviderProps {
  /** The client the hooks below use; create it once (outside render) with `createClient`. */
  client: TavernClient;
  children?: ReactNode;
}

/** Makes a Tavern client available to the hooks in its subtree. */
export function TavernProvider({ client, children }: TavernProviderProps): ReactNode {
  return createElement(TavernContext.Provider, { value: client }, children);
}

/** The client of the nearest `TavernProvider`. */
export function useTavernClient(): TavernClient {
  const client = useContext(TavernContext);
  if (!client) throw new Error('useTavernClient: no <TavernProvider> above this component');
  return client;
}
