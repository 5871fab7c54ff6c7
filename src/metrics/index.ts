export { createMetrics } from './metrics.js';
export type { DeliveryResult, Metrics } from './metrics.js';
