import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';

/**
 * The client's address: the socket's peer, or, when the peer is a trusted proxy, the
 * nearest untrusted address in X-Forwarded-For (so a client cannot forge its address
 * by sending the header itself).
 */
export function createClientIpResolver(trustProxy: readonly string[]): (request: IncomingMessage) => string {
  if (trustProxy.length === 0) return (request) => normalize(request.socket.remoteAddress ?? 'unknown');
  const trust = proxyAddr.compile([...trustProxy]);
  return (request) => normalize(proxyAddr(request, trust));
}

function normalize(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
