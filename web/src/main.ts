/** Boots the SPA: checks the session, draws the shell (nav + main) and routes with the History API. */
import { get, post, setUnauthorizedHandler } from "./api.ts";
import { h, replace } from "./dom.ts";
import { makeCtx, resolve, type Route } from "./router.ts";
import { navigate, setNavigate, state, type Me } from "./state.ts";
import { accountDetailScreen, accountsScreen } from "./screens/accounts.ts";
import { campaignDetailScreen } from "./screens/campaign-detail.ts";
import { campaignNewScreen } from "./screens/campaign-new.ts";
import { campaignsScreen } from "./screens/campaigns.ts";
import { complianceScreen } from "./screens/compliance.ts";
import { dashboardScreen } from "./screens/dashboard.ts";
import { inboxScreen } from "./screens/inbox.ts";
import { listDetailScreen } from "./screens/list-detail.ts";
import { listsScreen } from "./screens/lists.ts";
import { loginScreen } from "./screens/login.ts";
import { queuesScreen } from "./screens/queues.ts";
import { settingsScreen } from "./screens/settings.ts";
import { teamScreen } from "./screens/team.ts";
import { webhooksScreen } from "./screens/webhooks.ts";

const ROUTES: Route[] = [
  { pattern: "/", title: "Dashboard", screen: dashboardScreen, nav: "/" },
  { pattern: "/lists", title: "Lists", screen: listsScreen, nav: "/lists" },
  { pattern: "/lists/:id", title: "List", screen: listDetailScreen, nav: "/lists" },
  { pattern: "/accounts", title: "Accounts", screen: accountsScreen, nav: "/accounts" },
  { pattern: "/accounts/:id", title: "Account", screen: accountDetailScreen, nav: "/accounts" },
  { pattern: "/campaigns", title: "Campaigns", screen: campaignsScreen, nav: "/campaigns" },
  { pattern: "/campaigns/new", title: "New campaign", screen: campaignNewScreen, nav: "/campaigns" },
  { pattern: "/campaigns/:id", title: "Campaign", screen: campaignDetailScreen, nav: "/campaigns" },
  { pattern: "/inbox", title: "Inbox", screen: inboxScreen, nav: "/inbox" },
  { pattern: "/inbox/:phone", title: "Conversation", screen: inboxScreen, nav: "/inbox" },
  { pattern: "/compliance", title: "Compliance", screen: complianceScreen, nav: "/compliance" },
  { pattern: "/webhooks", title: "Webhooks", screen: webhooksScreen, nav: "/webhooks" },
  { pattern: "/queues", title: "Queues", screen: queuesScreen, nav: "/queues" },
  { pattern: "/team", title: "Team", screen: teamScreen, nav: "/team" },
  { pattern: "/settings", title: "Settings", screen: settingsScreen, nav: "/settings" },
];

const NAV: Array<[string, string]> = [
  ["/", "Dashboard"], ["/lists", "Lists"], ["/campaigns", "Campaigns"], ["/inbox", "Inbox"], ["/accounts", "Accounts"],
  ["/compliance", "Compliance"], ["/webhooks", "Webhooks"], ["/queues", "Queues"], ["/team", "Team"], ["/settings", "Settings"],
];

const app = document.getElementById("app")!;
let current: ReturnType<typeof makeCtx> | undefined;

function shell(me: Me, active: string | undefined): HTMLElement {
  const main = h("main", { id: "main", tabindex: "-1" });
  const logout = async () => {
    await post("/api/v1/auth/logout").catch(() => undefined);
    state.me = undefined;
    navigate("/login");
  };
  const header = h("header", { class: "sidebar" },
    h("a", { href: "#main", class: "skip" }, "Skip to content"),
    h("div", { class: "brand" }, h("span", { class: "logo", "aria-hidden": "true" }, "P"), "Pombo"),
    h("nav", { "aria-label": "Main" },
      h("ul", null, NAV.map(([href, label]) =>
        h("li", null, h("a", { href, "aria-current": href === active ? "page" : false }, label))))),
    h("div", { class: "who" },
      h("div", { class: "company" }, me.company.name),
      h("div", { class: "email" }, me.user.email),
      h("button", { type: "button", class: "link", onclick: logout }, "Log out")));
  return h("div", { class: "layout" }, header, main);
}

async function render(): Promise<void> {
  current?.leave();
  const path = location.pathname.replace(/\/+$/, "") || "/";
  const query = new URLSearchParams(location.search);
  if (path === "/login") {
    const ctx = (current = makeCtx(app, {}, query));
    document.title = "Log in · Pombo";
    replace(app);
    return loginScreen(ctx);
  }
  if (!state.me) {
    try {
      state.me = await get<Me>("/api/v1/me");
    } catch {
      navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, true);
      return;
    }
  }
  const found = resolve(ROUTES, path);
  replace(app, shell(state.me, found?.route.nav));
  const main = document.getElementById("main")!;
  const ctx = (current = makeCtx(main, found?.params ?? {}, query));
  if (!found) {
    document.title = "Not found · Pombo";
    replace(main, h("h1", null, "Page not found"), h("p", null, h("a", { href: "/" }, "Back to the dashboard")));
    return;
  }
  document.title = `${found.route.title} · Pombo`;
  try {
    await found.route.screen(ctx);
  } catch (e) {
    if (!ctx.left) main.append(h("p", { class: "error", role: "alert" }, String((e as Error)?.message ?? e)));
  }
}

let lastPath = location.pathname;
setNavigate((to, replaceEntry = false) => {
  const samePage = new URL(to, location.href).pathname === location.pathname;
  if (replaceEntry) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  lastPath = location.pathname;
  void render().then(() => { if (!samePage) document.getElementById("main")?.focus({ preventScroll: true }); });
});
window.addEventListener("popstate", () => {
  lastPath = location.pathname;
  void render();
});
setUnauthorizedHandler(() => {
  state.me = undefined;
  if (location.pathname !== "/login") navigate(`/login?next=${encodeURIComponent(lastPath)}`, true);
});
// Same-origin links route inside the app; downloads, new tabs and /api links are left to the browser.
document.addEventListener("click", (ev) => {
  const a = (ev.target as Element | null)?.closest?.("a");
  if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const href = a.getAttribute("href");
  if (!href || !href.startsWith("/") || href.startsWith("//") || a.hasAttribute("download") || a.target || href.startsWith("/api/")) return;
  ev.preventDefault();
  navigate(href);
});

void render();
