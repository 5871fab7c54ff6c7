export { createMetrics, observeHandled, registerQueueGauges, registerStoreGauge } from './metrics.js';
export type { DeliveryResult, Metrics } from './metrics.js';
