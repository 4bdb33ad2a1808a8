import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { MAX_FREQUENCY_CAP_HOURS } from "../domain/compliance-settings.ts";
import { getComplianceSettings, updateComplianceSettings } from "../services/compliance.ts";
import { authenticate } from "./auth.ts";

const HHMM = t.String({ pattern: "^([01][0-9]|2[0-3]):[0-5][0-9]$", description: "HH:MM, 24 h" });
const CompliancePatch = t.Object({
  quietHours: t.Optional(t.Object({ start: HHMM, end: HHMM }, { description: "Sending window in the recipient's local time; end < start wraps midnight; start = end: no window" })),
  frequencyCapHours: t.Optional(t.Integer({ minimum: 0, maximum: MAX_FREQUENCY_CAP_HOURS, description: "0 turns the cap off" })),
  stopWords: t.Optional(t.Array(t.String({ minLength: 1, maxLength: 50 }), { maxItems: 200, description: "Added to STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT" })),
  helpText: t.Optional(t.String({ minLength: 1, maxLength: 1600 })),
  timezone: t.Optional(t.String({ minLength: 1, maxLength: 64, description: "IANA zone, used when a recipient's own is unknown" })),
}, { minProperties: 1 }); // also refuses a JSON array or string, which Elysia would otherwise coerce to {}

/** `GET|PUT /api/v1/settings/compliance`. PUT takes any subset of the fields; the rest keep their value. */
export function complianceRoutes(deps: Deps) {
  return new Elysia({ prefix: "/api/v1/settings", detail: { tags: ["compliance"] } })
    .resolve(authenticate(deps))
    .get("/compliance", ({ auth }) => getComplianceSettings(deps.storage, auth.company.id), {
      detail: { summary: "Quiet hours, frequency cap, stop words, help text, time zone (defaults when never set)" },
    })
    .put("/compliance", ({ auth, body }) => updateComplianceSettings(deps, auth.company.id, body), {
      body: CompliancePatch,
      detail: { summary: "Change compliance settings" },
    });
}
