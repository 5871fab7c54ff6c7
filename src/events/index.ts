export { EVENT_TYPES, isEventType } from './names.js';
export type { EventActions, EventFormat, EventType } from './names.js';
export type { AnyXEvent, SideObjects, XEvent } from './event.js';
export type * from './payloads.js';
