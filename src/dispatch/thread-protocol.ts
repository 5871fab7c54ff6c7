/** Messages between the server (main thread) and its dispatch thread. */
export type ToDispatchThread = { notify: true } | { stop: true; timeoutMs: number };

export type FromDispatchThread =
  | { started: true; plugins: string[] }
  | { noPlugins: true }
  | { handled: { plugin: string; ok: boolean; seconds: number; lagSeconds: number | null } }
  | { stopped: true }
  | { failed: string };
