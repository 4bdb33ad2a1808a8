/** App-wide state the screens read: who is logged in, and how to move to another screen. */
export interface Me {
  user: { id: string; email: string; role: string };
  company: { id: string; name: string };
}

export const state: { me?: Me } = {};

let navigateImpl: (path: string, replace?: boolean) => void = (p) => location.assign(p);

/** Registers the router's navigate (main.ts does, once). */
export function setNavigate(fn: typeof navigateImpl): void {
  navigateImpl = fn;
}

/** Shows another screen without reloading the page. */
export function navigate(path: string, replace = false): void {
  navigateImpl(path, replace);
}
