export { createApp } from './app.js';
export type { AppDeps, ReceiverApp } from './app.js';
