#!/usr/bin/env bash
# Runs N Tavern nodes, Redis and nginx on one machine, for trying a cluster locally:
#
#   pnpm install && pnpm build
#   JWT_SECRET=$(openssl rand -hex 32) deploy/run-cluster.sh 3     # nodes on 3101..3103
#
# Clients connect to nginx on http://127.0.0.1:${LB_PORT:-3001}. Redis runs on
# ${REDIS_PORT:-6390} unless REDIS_URL is given. Ctrl-C stops everything this script started.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
nodes="${1:-2}"
lb_port="${LB_PORT:-3001}"
first_port="${FIRST_NODE_PORT:-3101}"
: "${JWT_SECRET:?set JWT_SECRET (at least 32 characters) so that one token works on every node}"
work="$(mktemp -d -t tavern-cluster-XXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

if [ -z "${REDIS_URL:-}" ]; then
  redis_port="${REDIS_PORT:-6390}"
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" &
  pids+=($!)
  export REDIS_URL="redis://127.0.0.1:$redis_port"
fi

upstreams=""
for i in $(seq 0 $((nodes - 1))); do
  port=$((first_port + i))
  NODE_ID="node-$((i + 1))" PORT="$port" TRUST_PROXY=loopback NODE_ENV="${NODE_ENV:-production}" \
    node "$root/apps/server/dist/main.js" &
  pids+=($!)
  upstreams+="    server 127.0.0.1:$port max_fails=1 fail_timeout=2s;"$'\n'
done

mkdir -p "$work/nginx"
python3 - "$here/nginx.conf.template" "$work/nginx/nginx.conf" "$work/nginx" "127.0.0.1:$lb_port" "$upstreams" <<'PY'
import sys
template, out, prefix, listen, upstreams = sys.argv[1:]
text = open(template).read().replace('{{PREFIX}}', prefix).replace('{{LISTEN}}', listen).replace('{{UPSTREAMS}}', upstreams.rstrip('\n'))
open(out, 'w').write(text)
PY
"${NGINX_BIN:-/usr/sbin/nginx}" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" &
pids+=($!)
echo "tavern: $nodes nodes behind http://127.0.0.1:$lb_port (redis: $REDIS_URL)"
wait -n
