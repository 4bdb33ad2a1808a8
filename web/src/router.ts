/** History-API routing: a table of path patterns → screens; each visit gets a fresh context whose timers stop on leave. */
export interface Ctx {
  root: HTMLElement;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Runs `fn` now and again `ms` after each run ends, while this screen is shown and the tab is visible. */
  every(ms: number, fn: () => Promise<unknown> | unknown): void;
  /** Registers cleanup for when the user leaves the screen. */
  onLeave(fn: () => void): void;
  /** True once the user has left this screen (late async results must not render). */
  readonly left: boolean;
}

export type Screen = (ctx: Ctx) => void | Promise<void>;

export interface Route {
  pattern: string;
  title: string;
  screen: Screen;
  /** Nav entry this route highlights. */
  nav?: string;
}

function match(pattern: string, path: string): Record<string, string> | undefined {
  const p = pattern.split("/").filter(Boolean);
  const s = path.split("/").filter(Boolean);
  if (p.length !== s.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i]!.startsWith(":")) params[p[i]!.slice(1)] = decodeURIComponent(s[i]!);
    else if (p[i] !== s[i]) return undefined;
  }
  return params;
}

/** Finds the route for a path, with its params. */
export function resolve(routes: Route[], path: string): { route: Route; params: Record<string, string> } | undefined {
  for (const route of routes) {
    const params = match(route.pattern, path);
    if (params) return { route, params };
  }
  return undefined;
}

/** Builds the context of one screen visit. */
export function makeCtx(root: HTMLElement, params: Record<string, string>, query: URLSearchParams): Ctx & { leave(): void } {
  const cleanups: Array<() => void> = [];
  let left = false;
  const ctx = {
    root, params, query,
    get left() { return left; },
    onLeave(fn: () => void) { cleanups.push(fn); },
    every(ms: number, fn: () => Promise<unknown> | unknown) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const run = async () => {
        timer = undefined;
        if (left) return;
        if (document.visibilityState === "visible") {
          try { await fn(); } catch { /* each screen shows its own errors */ }
        }
        if (!left) timer = setTimeout(run, ms);
      };
      const onVisible = () => { if (document.visibilityState === "visible" && timer) { clearTimeout(timer); void run(); } };
      document.addEventListener("visibilitychange", onVisible);
      cleanups.push(() => { if (timer) clearTimeout(timer); document.removeEventListener("visibilitychange", onVisible); });
      void run();
    },
    leave() {
      left = true;
      for (const fn of cleanups.splice(0)) fn();
    },
  };
  return ctx;
}
