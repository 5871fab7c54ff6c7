import type { SideObjects } from '../../events/index.js';
import { idString, isObject, obj, userId } from '../envelope/fields.js';

/** The fields of a user object in either format: v1.1 (`id_str`, `screen_name`) or v2 (`id`, `username`, maybe under `data`). */
function fieldsOf(user: unknown): Record<string, unknown> {
  const u = obj(user);
  return isObject(u.data) ? u.data : u;
}

export function usernameOf(user: unknown): string | null {
  const u = fieldsOf(user);
  return typeof u.screen_name === 'string' ? u.screen_name : typeof u.username === 'string' ? u.username : null;
}

/** A user X sent beside the activity: XAA `includes.users` (a list), AAA/XAA DM `users` (a map by id). */
export function sideUser(side: SideObjects | undefined, id: string | null): unknown {
  if (id === null || !side) return undefined;
  const listed = side.includes?.users;
  if (Array.isArray(listed)) {
    const found = listed.find((u) => userId(u) === id);
    if (found !== undefined) return found;
  }
  const users = side.users;
  if (isObject(users) && Object.hasOwn(users, id)) return users[id];
  return undefined;
}

/** The username of a user given by id, from the side objects (null when X sent none). */
export function usernameById(side: SideObjects | undefined, id: string | null): string | null {
  return usernameOf(sideUser(side, id));
}

/** The id and username of a user object, the username looked up beside the activity if the object has none. */
export function userRef(user: unknown, side?: SideObjects): { id: string | null; username: string | null } {
  const id = userId(user) ?? idString(obj(user).user_id);
  return { id, username: usernameOf(user) ?? usernameById(side, id) };
}

export function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
