/** Asking the other nodes of a cluster for their figures (Socket.IO `serverSideEmit` with an ack). */
import type { z } from 'zod';

/** How long to wait for other nodes' figures. */
export const CLUSTER_TIMEOUT_MS = 1_000;

type MultiAck<T> = (error: Error | null, responses: T[] | undefined) => void;

/**
 * The answers of every other node; a node that does not answer in time is left out, and so is
 * an answer that does not match `schema` (a node of another version, during a rolling deploy).
 *
 * @example
 * const others = await askOtherNodes((ack) => io.serverSideEmit('tavern:stats', ack), NodeStats);
 */
export function askOtherNodes<T>(send: (ack: MultiAck<unknown>) => void, schema: z.ZodType<T>): Promise<T[]> {
  return new Promise((resolve) => {
    const done = (responses: readonly unknown[]) => {
      clearTimeout(timer);
      resolve(responses.flatMap((response) => {
        const parsed = schema.safeParse(response);
        return parsed.success ? [parsed.data] : [];
      }));
    };
    const timer = setTimeout(() => done([]), CLUSTER_TIMEOUT_MS);
    // On its own timeout the adapter still hands over the responses that did arrive.
    send((_error, responses) => done(responses ?? []));
  });
}
