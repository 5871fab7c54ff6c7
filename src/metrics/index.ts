export { createMetrics, observeHandled, registerBodyBudgetGauge, registerQueueGauges, registerStoreGauge, registerThreadCpuCounter } from './metrics.js';
export type { DeliveryResult, Metrics } from './metrics.js';
