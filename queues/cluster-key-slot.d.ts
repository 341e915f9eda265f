// cluster-key-slot (the Redis Cluster CRC16 slot of a key, as ioredis computes it) ships no types.
declare module 'cluster-key-slot' {
  export default function calculateSlot(key: string | Buffer): number;
}
