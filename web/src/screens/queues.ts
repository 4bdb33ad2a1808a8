/** Queues, in the spirit of Laravel Horizon: per queue depth, delayed, running, throughput, failures; dead letters with retry / discard. */
import { api, errorText, get, isMissingRoute, itemsOf, post } from "../api.ts";
import { EP } from "../endpoints.ts";
import { confirmDialog, empty, h, num, replace, table, toast, when } from "../dom.ts";
import type { Ctx } from "../router.ts";
import type { QueueStat } from "./dashboard.ts";

interface DeadJob { id: string; name: string; queue: string; attempts: number; maxAttempts?: number; lastError?: string; error?: string; deadAt?: string | number; createdAt?: string | number; data?: Record<string, unknown> }

export async function queuesScreen(ctx: Ctx): Promise<void> {
  const statsSlot = h("div", { id: "queue-stats" }, h("p", { class: "muted" }, "Loading…"));
  const deadSlot = h("div", { id: "failed-jobs", "aria-live": "polite" });
  ctx.root.append(h("h1", null, "Queues"),
    h("section", { class: "card", "aria-labelledby": "qs-h" }, h("h2", { id: "qs-h" }, "Workload"), statsSlot),
    h("section", { class: "card", "aria-labelledby": "dead-h" }, h("h2", { id: "dead-h" }, "Failed jobs"),
      h("p", { class: "muted" }, "Jobs that used up their attempts. Retry puts one back in its queue with its attempts reset; discard deletes it for good."),
      deadSlot));
  let deadKey = "";
  ctx.every(2000, async () => {
    let queues: QueueStat[];
    try {
      queues = itemsOf<QueueStat>(await get("/api/v1/queues"));
    } catch (e) {
      replace(statsSlot, h("p", { class: "error", role: "alert" }, isMissingRoute(e) ? "Queue statistics are not available on this server yet." : errorText(e)));
      return;
    }
    replace(statsSlot, table("Queues", ["Queue", "Waiting", "Delayed", "Running", "Per minute", "Failed"], queues.map((q) => [
      h("strong", null, q.name), num(q.depth), num(q.delayed), num(q.running), num(q.perMinute),
      q.failed ? h("span", { class: "bad", "data-failed": q.failed }, num(q.failed)) : "0",
    ]), { class: "queues" }));
    const failing = queues.filter((q) => q.failed > 0);
    const key = JSON.stringify(failing.map((q) => [q.name, q.failed]));
    if (key === deadKey) return;
    deadKey = key;
    await drawDead(failing, deadSlot, () => { deadKey = ""; });
  });
}

async function drawDead(failing: QueueStat[], slot: HTMLElement, invalidate: () => void): Promise<void> {
  if (!failing.length) { replace(slot, empty("No failed job. 🎉")); return; }
  const jobs: DeadJob[] = [];
  const errors: string[] = [];
  for (const q of failing) {
    try {
      jobs.push(...itemsOf<DeadJob>(await get(EP.deadJobs(q.name))).map((j) => ({ ...j, queue: j.queue ?? q.name })));
    } catch (e) {
      errors.push(isMissingRoute(e) ? `Failed jobs of “${q.name}” cannot be listed on this server yet.` : `${q.name}: ${errorText(e)}`);
    }
  }
  const act = async (j: DeadJob, what: "retry" | "discard") => {
    if (what === "discard" && !(await confirmDialog(`Discard job ${j.name} (${j.id}) for good?`, "Discard", true))) return;
    try {
      if (what === "retry") await post(EP.retryJob(j.id));
      else await api("DELETE", EP.discardJob(j.id));
      toast(what === "retry" ? `Job ${j.id} is back in ${j.queue}` : `Job ${j.id} discarded`);
      invalidate();
      document.querySelector(`[data-job="${CSS.escape(j.id)}"]`)?.closest("tr")?.remove();
    } catch (e) {
      toast(errorText(e), "error");
    }
  };
  replace(slot,
    errors.map((e) => h("p", { class: "muted" }, e)),
    !jobs.length && !errors.length ? empty("Failed jobs exist, but none belongs to your company.") : null,
    jobs.length ? table("Failed jobs", ["Job", "Queue", "Attempts", "Error", "Failed at", ""], jobs.map((j) => [
      h("span", { "data-job": j.id }, h("strong", null, j.name), h("br"), h("small", { class: "mono muted" }, j.id),
        Object.keys(j.data ?? {}).some((k) => k !== "companyId") ? h("small", { class: "muted kvs" }, Object.entries(j.data!).filter(([k]) => k !== "companyId").map(([k, v]) => h("span", { class: "kv" }, h("span", { class: "k" }, k), " ", String(v)))) : null), j.queue,
      `${j.attempts}${j.maxAttempts ? ` / ${j.maxAttempts}` : ""}`, h("span", { class: "bad error-cell" }, j.lastError ?? j.error ?? "—"), when(j.deadAt),
      h("span", { class: "actions" },
        h("button", { type: "button", class: "small", onclick: () => act(j, "retry"), "aria-label": `Retry job ${j.id}` }, "Retry"),
        h("button", { type: "button", class: "small danger secondary", onclick: () => act(j, "discard"), "aria-label": `Discard job ${j.id}` }, "Discard")),
    ]), { id: "dead-jobs" }) : null);
}
