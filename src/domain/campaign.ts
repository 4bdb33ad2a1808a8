import { DomainError } from "./errors.ts";

/**
 * Campaign lifecycle: pending (generating) → paused → running ⇄ paused → completed; canceled from any
 * state before completion. `start` from paused begins sending; a campaign still generating can be
 * asked to start and begins when generation ends (`startRequested`).
 */
export type CampaignStatus = "pending" | "paused" | "running" | "completed" | "canceled";
export type CampaignAction = "start" | "pause" | "resume" | "cancel";

const ALLOWED: Record<CampaignAction, CampaignStatus[]> = {
  start: ["pending", "paused"],
  pause: ["running"],
  resume: ["paused"],
  cancel: ["pending", "paused", "running"],
};

/**
 * The status a campaign moves to for an action, given whether generation has finished.
 * @throws DomainError conflict when the action is not allowed from `from`.
 */
export function nextCampaignStatus(from: CampaignStatus, action: CampaignAction, generated: boolean): CampaignStatus {
  if (!ALLOWED[action].includes(from)) {
    throw new DomainError("conflict", "invalid_transition", `cannot ${action} a campaign that is ${from}`);
  }
  if (action === "cancel") return "canceled";
  if (action === "pause") return "paused";
  if (action === "resume") return "running";
  return generated ? "running" : "pending";
}
