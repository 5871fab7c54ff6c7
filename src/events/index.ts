export { EVENT_TYPES, isEventType } from './names.js';
export type { EventActions, EventFormat, EventType } from './names.js';
export type { AnyXEvent, ParsedXEvent, SideObjects, XEvent } from './event.js';
export type * from './data.js';
export type * from './payloads.js';
export { XAA_DELIVERED_ONLY_TYPES, XAA_EVENT_CATALOG, XAA_EVENT_TYPE_ALIASES, XAA_EVENT_TYPES } from './xaa-catalog.generated.js';
export type { XaaDeliveredOnlyType, XaaEventType, XaaEventTypeFacts } from './xaa-catalog.generated.js';
