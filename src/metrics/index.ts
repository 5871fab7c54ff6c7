export { createMetrics, observeHandled, registerBodyBudgetGauge, registerQueueGauges, registerStoreGauge } from './metrics.js';
export type { DeliveryResult, Metrics } from './metrics.js';
