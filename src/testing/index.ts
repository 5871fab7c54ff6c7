// The public test helpers (`x-activity-receiver/testing`): what a handler's tests import.
export { startTestReceiver } from './test-receiver.js';
export type { HandledEvent, SampleDelivery, SampleDeliveryOptions, TestReceiver, TestReceiverOptions } from './test-receiver.js';
export { aaaBody, filteredStreamBody, newActivity, SAMPLE_TYPES, xaaBody } from './samples.js';
export type { Activity, SampleFormat, SampleRule, SampleType } from './samples.js';
export { sign as signDelivery, SIGNATURE_HEADER } from '../receiver/signature.js';
