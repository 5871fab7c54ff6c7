export { createMetrics, observeHandled, registerQueueGauges } from './metrics.js';
export type { DeliveryResult, Metrics } from './metrics.js';
