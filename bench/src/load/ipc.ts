/**
 * The IPC between the orchestrator and a load-generator process: numbered requests, one
 * response each. A command map names each command's arguments and result:
 * `{ connect: [ConnectArgs, ConnectResult], ... }`.
 */
export type CommandMap<C> = { [K in keyof C]: [unknown, unknown] };

export interface IpcRequest {
  id: number;
  command: string;
  args: unknown;
}

export type IpcResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

export type CommandHandlers<C extends CommandMap<C>> = { [K in keyof C]: (args: C[K][0]) => Promise<C[K][1]> | C[K][1] };

/** The worker's side: runs each request's handler and answers it; exits when the orchestrator goes away. */
export function serveCommands<C extends CommandMap<C>>(handlers: CommandHandlers<C>): void {
  process.on('message', (message: IpcRequest) => {
    const handler = handlers[message.command as keyof C];
    Promise.resolve()
      .then(() => handler(message.args))
      .then(
        (result) => process.send?.({ id: message.id, ok: true, result } satisfies IpcResponse),
        (error: unknown) =>
          process.send?.({ id: message.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies IpcResponse),
      );
  });
  // The orchestrator went away: nothing left to do.
  process.on('disconnect', () => process.exit(0));
}
