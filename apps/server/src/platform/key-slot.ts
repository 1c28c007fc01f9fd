/**
 * The Redis Cluster slot of a key (CRC16/XMODEM of the key, or of its hash tag: the part
 * between the first `{` and the next `}` when that part is not empty), as `CLUSTER KEYSLOT`
 * answers it. Used to split a multi-key script into one call per slot.
 *
 * @example
 * keySlot('chat:{room:1}:seq') === keySlot('chat:{room:1}:msgs'); // true
 */
const TABLE = Array.from({ length: 256 }, (_, byte) => {
  let crc = byte << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  return crc;
});

export const SLOTS = 16_384;

export function keySlot(key: string): number {
  let bytes = Buffer.from(key);
  const open = bytes.indexOf(0x7b); // {
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1); // }
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ byte) & 0xff] ?? 0);
  return crc % SLOTS;
}
