import { ClientError } from '../client-error.js';

/** What a hook reports when something failed: a server error code or a `ClientErrorCode`. */
export interface TavernError {
  code: string;
  message: string;
}

export function toError(error: unknown): TavernError {
  if (error instanceof ClientError) return { code: error.code, message: error.message };
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}
