import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { DomainError } from "../domain/errors.ts";
import { PASSWORD_MAX, PASSWORD_MIN } from "../domain/user.ts";
import { addTeamUser, changeOwnPassword, removeTeamUser, updateTeamUser } from "../services/team.ts";
import { hashSecret } from "../storage/ids.ts";
import { listCompanyUsers, type User } from "../storage/users.ts";
import { authenticate, readCookie, SESSION_COOKIE, sessionCookie } from "./auth.ts";
import { FailureLimiter } from "./rate-limit.ts";

const Role = t.Union([t.Literal("owner"), t.Literal("member")], { description: "owners manage the team; members use everything else" });
const Password = (what: string) => t.String({ maxLength: PASSWORD_MAX, description: `${what}: at least ${PASSWORD_MIN} characters` });

/** A user as the API shows it: never the password hash. */
const view = (u: User) => ({
  id: u.id, email: u.email, role: u.role, createdAt: new Date(u.createdAt).toISOString(),
  ...(u.lastLoginAt === undefined ? {} : { lastLoginAt: new Date(u.lastLoginAt).toISOString() }),
});

/** The hash of the session cookie a request carries, if any: the one session a password change keeps. */
const currentSession = (request: Request) => {
  const token = readCookie(request.headers.get("cookie"), SESSION_COOKIE);
  return token ? hashSecret(token) : undefined;
};

/**
 * The company's team: everyone lists it; owners add users, change their role or password and remove them
 * (members get 403). `POST /me/password` lets any user change their own password, rate limited per user.
 */
export function userRoutes(deps: Deps) {
  const wrongCurrent = new FailureLimiter(deps.clock, 10, 15 * 60_000);
  return new Elysia({ prefix: "/api/v1", detail: { tags: ["team"] } })
    .resolve(authenticate(deps))
    .get("/users", ({ auth }) => ({ items: listCompanyUsers(deps.storage, auth.company.id).map(view) }), {
      detail: { summary: "The company's users (id, email, role, createdAt, lastLoginAt)" },
    })
    .post("/users", async ({ auth, body, set }) => {
      set.status = 201;
      return view(await addTeamUser(deps, auth, body));
    }, {
      body: t.Object({ email: t.String({ maxLength: 320 }), password: Password("Initial password"), role: Role }),
      detail: { summary: "Add a user to the company (owners); 409 email_taken when any company has the e-mail" },
    })
    .patch("/users/:id", async ({ auth, body, params, request }) => view(await updateTeamUser(deps, auth, params.id, body, currentSession(request))), {
      body: t.Object({ role: t.Optional(Role), password: t.Optional(Password("New password; ends the user's sessions")) }),
      detail: { summary: "Change a user's role or password (owners); 409 last_owner when it would leave no owner" },
    })
    .delete("/users/:id", async ({ auth, params, set }) => {
      await removeTeamUser(deps, auth, params.id);
      if (params.id === auth.user.id) set.headers["set-cookie"] = sessionCookie(deps, "", 0);
      return { ok: true };
    }, { detail: { summary: "Remove a user with its sessions and API tokens (owners); 409 last_owner for the last owner" } })
    .post("/me/password", async ({ auth, body, request, set }) => {
      const key = auth.user.id;
      if (wrongCurrent.isBlocked(key)) {
        set.headers["retry-after"] = String(Math.ceil(wrongCurrent.retryAfterMs(key) / 1000));
        throw new DomainError("rate_limited", "too_many_attempts", "too many wrong passwords; try again later");
      }
      try {
        await changeOwnPassword(deps, auth, body, currentSession(request));
      } catch (e) {
        if (e instanceof DomainError && e.code === "wrong_password") wrongCurrent.fail(key);
        throw e;
      }
      wrongCurrent.reset(key);
      return { ok: true };
    }, {
      body: t.Object({ currentPassword: t.String({ maxLength: PASSWORD_MAX }), newPassword: Password("New password") }),
      detail: { summary: "Change your own password; your other sessions end", tags: ["auth"] },
    });
}
