import type { Deps } from "../deps.ts";
import { cancelPendingBatch, CANCEL_JOB, GENERATE_JOB } from "../services/campaigns.ts";
import { DELIVER_JOB } from "../services/events.ts";
import { generateNextBatch } from "../services/generation.ts";
import { deliverWebhook } from "../services/outgoing-webhooks.ts";
import { reconcileMessage, RECONCILE_JOB } from "../services/reconcile.ts";
import { requeueUnknown, SEND_JOB, sendMessage, type SendJob } from "../services/sending.ts";
import type { Throttle } from "../services/throttle.ts";
import { absorbWebhooks, processWebhook, WEBHOOK_JOB, type WebhookJob } from "../services/webhooks-in.ts";
import { FOREGROUND_QUEUES, registerImportHandlers } from "./handlers-imports.ts";
import type { Runner } from "./runner.ts";

type CampaignRef = { companyId: string; campaignId: string };

/** Job name → service, one line each. Logic lives in the services, which tests call directly. */
export function registerHandlers(runner: Runner, deps: Deps, throttle: Throttle): void {
  runner.register(WEBHOOK_JOB, (job) => processWebhook(deps, job.data as WebhookJob), { queue: "webhooks" });
  deps.queue.absorb(WEBHOOK_JOB, (data) => absorbWebhooks(deps, data as WebhookJob[]));
  runner.register(SEND_JOB, (job) => sendMessage(deps, throttle, job.data as SendJob), { queue: "sends" });
  // The job is created in the transaction that makes the message unknown: its createdAt is when that happened.
  runner.register(RECONCILE_JOB, (job) => reconcileMessage(deps, (job.data as { messageId: string }).messageId, (id) => requeueUnknown(deps, id), job.createdAt), { queue: "sends" });
  runner.register(GENERATE_JOB, (job) => generateNextBatch(deps, (job.data as CampaignRef).companyId, (job.data as CampaignRef).campaignId, deps.queue.foregroundBusy(FOREGROUND_QUEUES)), { queue: "campaigns" });
  registerImportHandlers(runner, deps);
  runner.register(CANCEL_JOB, (job) => cancelPendingBatch(deps, (job.data as CampaignRef).companyId, (job.data as CampaignRef).campaignId), { queue: "campaigns" });
  runner.register(DELIVER_JOB, (job) => deliverWebhook(deps, job), { queue: "outgoing" });
}
