// shard: which shard a key lives in, for stores split into hash shards (Vectory, docs/protocols/vectory.md).
// Here, not in the protocol, because its clients (`csplab kv run`) must agree with its nodes.

/** shardOf: H(key) mod S (vectory §2), FNV-1a so every node and client agree. */
export function shardOf(key: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return h % shards;
}
