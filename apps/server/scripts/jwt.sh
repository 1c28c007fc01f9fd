#!/bin/sh
# `pnpm jwt <userId> [--name N] [--roles a,b] [--ttl seconds]` (see src/cli/token.ts): prints a
# JWT signed with JWT_SECRET. Runs the built CLI when dist/ is newer than every source it is
# built from (fast: no build step, no turbo), else the sources through tsx (no build needed);
# either way only the token reaches stdout. From apps/server, so it reads the same .env as
# `pnpm start` and `pnpm dev`.
set -e
cd "$(dirname "$0")/.."
if [ -f dist/cli/token.js ] && [ -f ../../packages/protocol/dist/index.js ] &&
  [ -z "$(find src ../../packages/protocol/src -newer dist/cli/token.js | head -n 1)" ]; then
  exec node dist/cli/token.js "$@"
fi
exec node --conditions=@tavern/source --import tsx src/cli/token.ts "$@"
