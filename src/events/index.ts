export { EVENT_TYPES, isEventType } from './names.js';
export type { EventActions, EventFormat, EventType } from './names.js';
export type { AnyXEvent, ParsedXEvent, SideObjects, XEvent } from './event.js';
export type * from './data.js';
export type * from './payloads.js';
