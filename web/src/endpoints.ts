/**
 * API paths beyond API.md that the UI uses, in one place so they are easy to align with the server.
 * Everything else the screens call is in API.md.
 */
export const EP = {
  setup: "/api/setup",
  /** Dashboard: today's totals (company time zone), and per-minute sent/delivered/failed buckets. */
  statsOverview: "/api/v1/stats/overview",
  statsSeries: (minutes: number) => `/api/v1/stats/timeseries?minutes=${minutes}`,
  /** Dead letters of one queue, and actions on one of them. */
  deadJobs: (queue: string) => `/api/v1/queues/${encodeURIComponent(queue)}/failed`,
  retryJob: (id: string) => `/api/v1/queues/jobs/${encodeURIComponent(id)}/retry`,
  discardJob: (id: string) => `/api/v1/queues/jobs/${encodeURIComponent(id)}`,
  /** Delivery log of an outgoing webhook endpoint. */
  deliveries: (endpointId: string) => `/api/v1/webhook-endpoints/${encodeURIComponent(endpointId)}/deliveries`,
};
