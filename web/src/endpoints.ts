/**
 * API paths beyond API.md that the UI uses, in one place so they are easy to align with the server.
 * Everything else the screens call is in API.md.
 */
export const EP = {
  setup: "/api/setup",
  /** Dashboard series and today's counters. */
  stats: (hours: number) => `/api/v1/stats?hours=${hours}`,
  /** Dead letters of one queue, and actions on one of them. */
  deadJobs: (queue: string) => `/api/v1/queues/${encodeURIComponent(queue)}/failed`,
  retryJob: (id: string) => `/api/v1/queues/jobs/${encodeURIComponent(id)}/retry`,
  discardJob: (id: string) => `/api/v1/queues/jobs/${encodeURIComponent(id)}`,
  /** Delivery log of an outgoing webhook endpoint. */
  deliveries: (endpointId: string) => `/api/v1/webhook-endpoints/${encodeURIComponent(endpointId)}/deliveries`,
};
