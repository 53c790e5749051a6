// The webhooks module: the outbox, signed delivery to the games' endpoints, and live purchase updates.
export {
  enqueueEvent,
  enqueueEvents,
  notifyEvents,
  newEventId,
  outboxBatch,
  enqueuedInOrder,
  WAKE_CHANNEL,
  type OutboxBatch,
  type OutboxEnqueued,
  type DomainEventType,
  type EnqueueEventInput,
  type EnqueuedEvent,
} from './enqueue-event.js';
export { outboxEventTypes, outboxStatuses, type OutboxEventType, type OutboxStatus } from '../../db/schema/outbox.js';
export { signWebhook, type WebhookHeaders } from './sign-webhook.js';
export {
  webhookBody,
  nextRetryDelayMs,
  type OutboxEventRow,
  type WebhookDeliveryRow,
  type DeliveryTrigger,
} from './deliver.js';
export {
  createWebhookDispatcher,
  startWebhookDispatcher,
  type WebhookDispatcher,
  type WebhookDispatcherOptions,
} from './dispatch.js';
export { redeliverEvent, type RedeliveryResult } from './redeliver-event.js';
export { sendTestWebhook } from './send-test-webhook.js';
export {
  listWebhookEvents,
  listWebhookDeliveries,
  getWebhookEventsByIds,
  getWebhookDeliveriesByIds,
  countOutboxBacklog,
  type WebhookEventFilter,
} from './get-webhooks.js';
export { publishPurchaseUpdate, purchaseChannel, type PurchaseUpdateMessage } from './publish-purchase-update.js';
export { watchPurchase } from './watch-purchase.js';
