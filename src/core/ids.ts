import { randomBytes, randomFillSync } from 'node:crypto';

/**
 * UUIDv7 (RFC 9562): time-ordered, so primary keys sort by creation and B-tree inserts stay
 * at the right edge of the index.
 */
export function newId(nowMs: number = Date.now()): string {
  const bytes = Buffer.allocUnsafe(16);
  takeRandom(bytes);
  // 48 bits of milliseconds, big-endian, without BigInt (ids are made for every row written).
  const high = Math.floor(nowMs / 0x1_0000_0000);
  const low = nowMs >>> 0;
  bytes.writeUInt16BE(high & 0xffff, 0);
  bytes.writeUInt32BE(low, 2);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Random bytes drawn from a pool refilled 4 KiB at a time: one system call per 256 ids, not one each. */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
function takeRandom(into: Buffer): void {
  if (poolAt + into.length > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  pool.copy(into, 0, poolAt, poolAt + into.length);
  pool.fill(0, poolAt, poolAt + into.length);
  poolAt += into.length;
}

/** A random URL-safe secret with a readable prefix, e.g. `vgl_…` for API tokens. */
export function newSecret(prefix: string, bytes = 24): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}
