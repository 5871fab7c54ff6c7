import fs from 'node:fs';
import path from 'node:path';

/** Files whose change reloads the handlers: JavaScript, TypeScript and JSON sources. */
const SOURCE = /\.(?:[cm]?[jt]sx?|json)$/;
/** Folders never watched: dependencies and hidden folders (.git, editors' state). */
const SKIPPED = (name: string) => name === 'node_modules' || name.startsWith('.');
/** A guard against watching a whole disk by mistake (a handler at the root of a large tree). */
const MAX_FOLDERS = 2_000;

export interface SourceWatcher {
  /** The folders watched. */
  folders(): string[];
  close(): void;
}

export interface WatchOptions {
  /** Changes arriving within this many ms of each other are reported together (an editor's save is several events). */
  quietMs?: number;
  /** Told when MAX_FOLDERS is reached (the rest is not watched). */
  onLimit?: (max: number) => void;
}

/**
 * Watches the source files under `roots` (folders, walked without node_modules and hidden
 * folders; a file's own folder) and calls `onChange` with the files changed, once they are quiet.
 * Built on node:fs watch of each folder (not its recursive mode, which on Linux walks
 * node_modules too); folders created later are watched as they appear.
 */
export function watchSources(roots: readonly string[], onChange: (files: string[]) => void, options: WatchOptions = {}): SourceWatcher {
  const quietMs = options.quietMs ?? 150;
  const watchers = new Map<string, fs.FSWatcher>();
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let warned = false;

  const report = (file: string) => {
    changed.add(file);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const files = [...changed];
      changed.clear();
      if (!closed) onChange(files);
    }, quietMs);
  };

  const watchFolder = (folder: string) => {
    if (closed || watchers.has(folder)) return;
    if (watchers.size >= MAX_FOLDERS) {
      if (!warned) options.onLimit?.(MAX_FOLDERS);
      warned = true;
      return;
    }
    let watcher: fs.FSWatcher;
    try {
      watcher = fs.watch(folder, (event, name) => {
        if (!name) return;
        const full = path.join(folder, name.toString());
        if (SOURCE.test(full)) report(full);
        else if (event === 'rename' && !SKIPPED(path.basename(full))) {
          // A folder created (or moved in) later: watch it and what it holds.
          fs.stat(full, (error, stat) => {
            if (!error && stat.isDirectory()) walk(full);
          });
        }
      });
    } catch {
      return; // gone already, or not readable: nothing to watch
    }
    watcher.on('error', () => {
      watcher.close();
      watchers.delete(folder);
    });
    watchers.set(folder, watcher);
  };

  const walk = (folder: string) => {
    watchFolder(folder);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.isDirectory() && !SKIPPED(entry.name)) walk(path.join(folder, entry.name));
    }
  };

  for (const root of roots) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(root);
    } catch {
      continue;
    }
    walk(stat.isDirectory() ? root : path.dirname(root));
  }

  return {
    folders: () => [...watchers.keys()],
    close() {
      closed = true;
      clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
