/**
 * settle's frontend client: for browsers and Node.
 */
export {
  waitForOrder,
  type OrderOutcome,
  type WaitForOrderOptions,
} from './wait-for-order.js';
export * from './errors.js';
export { openStream, type OpenStream, type StreamMessage } from './event-stream.js';
