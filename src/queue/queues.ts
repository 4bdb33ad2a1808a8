import type { QueueConfig } from "./types.ts";

/**
 * Pombo's named queues. Lower priority numbers are served first, so background work (imports,
 * generation, outgoing webhooks) can never starve webhooks from providers or sends.
 */
export const QUEUES: QueueConfig[] = [
  { name: "webhooks", priority: 0, concurrency: 64 }, //   provider reports and replies: parse + apply
  { name: "sends", priority: 1, concurrency: 256 }, //     one job per message, I/O bound
  { name: "default", priority: 2, concurrency: 8 },
  { name: "outgoing", priority: 3, concurrency: 16 }, //   deliveries to the company's own endpoints
  { name: "campaigns", priority: 4, concurrency: 2 }, //   generation and cancel batches
  { name: "imports", priority: 5, concurrency: 1 }, //     CSV imports (CPU work runs in the worker pool)
];
