/**
 * `pnpm jwt <userId> [--name N] [--roles a,b] [--ttl seconds]`: prints a JWT that a server
 * with the same `JWT_SECRET` (and `JWT_ISSUER` / `JWT_AUDIENCE`) accepts. The configuration
 * comes from env.ts like the server's; the token is signed by the server's own verifier.
 *
 * Exit codes: 0 printed a token, 1 the environment cannot sign (no `JWT_SECRET`, bad value),
 * 2 bad arguments.
 *
 * The root script is `jwt`, not `token`: pnpm forwards `pnpm token` to npm's own command.
 * It runs `scripts/jwt.sh`, which picks the built CLI or the sources, whichever is current.
 */
import { Role, TokenClaims } from '@tavern/protocol';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createTokenVerifier } from '../auth/token-verifier.js';
import { EnvError, loadConfig, loadDotEnv } from '../env.js';
import { randomId } from '../platform/ids.js';

const USAGE = `usage: pnpm jwt <userId> [--name N] [--roles a,b] [--ttl seconds]

Prints a JWT signed with JWT_SECRET (plus JWT_ISSUER / JWT_AUDIENCE when set).
  --name   display name (claim \`name\`)
  --roles  comma-separated, from: ${Role.options.join(', ')} (default: the server's, player)
  --ttl    lifetime in seconds (default 3600)`;

/** Default lifetime, the same as a dev token's. */
const DEFAULT_TTL_SEC = 3600;

class UsageError extends Error {}

const TokenArgs = z.object({
  sub: TokenClaims.shape.sub,
  name: TokenClaims.shape.name,
  roles: TokenClaims.shape.roles,
  ttlSeconds: z.coerce.number().int().positive().max(365 * 24 * 3600),
});

function parseTokenArgs(argv: string[]): z.infer<typeof TokenArgs> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        roles: { type: 'string' },
        ttl: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'a userId is required' : `one userId expected, got ${positionals.join(' ')}`);
  const args = TokenArgs.safeParse({
    sub: positionals[0],
    name: values.name,
    roles: values.roles?.split(',').map((role) => role.trim()).filter(Boolean),
    ttlSeconds: values.ttl ?? DEFAULT_TTL_SEC,
  });
  if (!args.success) {
    const issue = args.error.issues[0];
    const field = { sub: 'userId', ttlSeconds: '--ttl', name: '--name', roles: '--roles' }[String(issue?.path[0])] ?? 'argument';
    throw new UsageError(`${field}: ${issue?.message ?? 'invalid'}`);
  }
  return args.data;
}

async function main(argv: string[]): Promise<void> {
  const { sub, name, roles, ttlSeconds } = parseTokenArgs(argv);
  loadDotEnv();
  const config = loadConfig();
  const sign = config.auth.jwt.kind === 'secret' ? createTokenVerifier(config.auth).sign : null;
  if (!sign) {
    throw new EnvError([
      'JWT_SECRET is not set: `pnpm jwt` signs with the HS256 secret the server uses (with JWT_PUBLIC_KEY or JWKS_URL, tokens come from your identity provider; in dev mode, use POST /dev/token)',
    ]);
  }
  const token = await sign({ sub, jti: randomId(), ...(name !== undefined && { name }), ...(roles !== undefined && { roles }) }, ttlSeconds);
  process.stdout.write(`${token}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`tavern token: ${error.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (error instanceof EnvError) {
    process.stderr.write(`tavern token: ${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`tavern token: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
