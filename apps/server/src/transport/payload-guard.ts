/**
 * Bounds the work a payload can cause before zod sees it: nesting depth and the number of
 * values. A 5,000-deep array must cost microseconds and an `INVALID_PAYLOAD`, never a crash.
 */

let budget = 0;

/** True when `value` nests deeper than `maxDepth` or holds more than `maxNodes` values. */
export function exceedsShape(value: unknown, maxDepth: number, maxNodes = 20_000): boolean {
  if (typeof value !== 'object' || value === null) return false;
  budget = maxNodes;
  return walk(value, maxDepth);
}

function walk(value: object, depthLeft: number): boolean {
  if (depthLeft <= 0) return true;
  if (Array.isArray(value)) {
    budget -= value.length;
    if (budget < 0) return true;
    for (const item of value) {
      if (typeof item === 'object' && item !== null && walk(item, depthLeft - 1)) return true;
    }
    return false;
  }
  for (const key in value) {
    if (--budget < 0) return true;
    const item = (value as Record<string, unknown>)[key];
    if (typeof item === 'object' && item !== null && walk(item, depthLeft - 1)) return true;
  }
  return false;
}
