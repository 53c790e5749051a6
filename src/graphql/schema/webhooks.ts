import { decodeGlobalID, resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import { builder } from '../builder.js';
import { COMMON_ERRORS, orNotFound } from '../errors.js';
import { InvalidStateError, ValidationError } from '../../shared/errors.js';
import type { KeysetPage } from '../../shared/page.js';
import { rotateWebhookSecret, rotateWebhookSecretInput, type RotatedWebhookSecret } from '../../modules/games/index.js';
import { parseInput } from '../../shared/validation.js';
import {
  getWebhookDeliveriesByIds,
  getWebhookEventsByIds,
  listWebhookDeliveries,
  listWebhookEvents,
  redeliverEvent,
  sendTestWebhook,
  webhookBody,
  type OutboxEventRow,
  type WebhookDeliveryRow,
  outboxEventTypes,
  outboxStatuses,
} from '../../modules/webhooks/index.js';
import { GameRef } from './games.js';
import { decodeId } from '../relay.js';

// Event ids are `evt_…`, not uuids, so these connections carry their own cursor: "<iso time>|<id>".
function toCursor(time: Date, id: string): string {
  return Buffer.from(`${time.toISOString()}|${id}`).toString('base64url');
}

function fromCursor(
  cursor: string | undefined,
  name: string,
  idPattern: RegExp,
): { createdAt: Date; id: string } | undefined {
  if (cursor === undefined) return undefined;
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const createdAt = new Date(at ?? '');
  if (!id || !idPattern.test(id) || Number.isNaN(createdAt.getTime()))
    throw ValidationError.field(name, 'is not a valid cursor');
  return { createdAt, id };
}

const EVENT_ID = /^evt_[0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function page(args: ResolveCursorConnectionArgs, idPattern: RegExp): KeysetPage {
  return {
    after: fromCursor(args.after, 'after', idPattern),
    before: fromCursor(args.before, 'before', idPattern),
    limit: args.limit,
    inverted: args.inverted,
  };
}

/** An event id as given by a client: the `evt_…` of the webhook, or the WebhookEvent's global id. */
function eventIdOf(value: string | number, path: string): string {
  const raw = String(value);
  if (raw.startsWith('evt_')) return raw;
  try {
    const decoded = decodeGlobalID(raw);
    if (decoded.typename === 'WebhookEvent') return decoded.id;
  } catch {
    // falls through to the validation error
  }
  throw ValidationError.field(path, 'must be a webhook event id (evt_…) or a WebhookEvent id');
}

const WEBHOOK_STATUS_DESCRIPTIONS: Record<(typeof outboxStatuses)[number], string> = {
  pending: 'Not delivered yet: waiting for its first attempt or for a retry (nextAttemptAt).',
  delivered: "The game's endpoint answered 2xx.",
  failed: 'Every automatic retry failed; redeliverEvent sends it again.',
  no_endpoint: 'The game had no webhook URL when it was due, so nothing was sent.',
};
const WebhookEventStatusEnum = builder.enumType('WebhookEventStatus', {
  description:
    'PENDING: to be delivered (retries included); DELIVERED: a 2xx came back; FAILED: the retry schedule ran out; NO_ENDPOINT: the game had no webhook URL.',
  values: Object.fromEntries(
    outboxStatuses.map((s) => [s.toUpperCase(), { value: s, description: WEBHOOK_STATUS_DESCRIPTIONS[s] }]),
  ) as Record<
    Uppercase<(typeof outboxStatuses)[number]>,
    { value: (typeof outboxStatuses)[number]; description: string }
  >,
});

const WebhookTriggerEnum = builder.enumType('WebhookDeliveryTrigger', {
  description: 'What started a delivery attempt.',
  values: {
    AUTOMATIC: { value: 'automatic', description: 'The outbox, on its own schedule of first attempt and retries.' },
    MANUAL: { value: 'manual', description: 'Someone asked for it with redeliverEvent.' },
    TEST: { value: 'test', description: 'A test event from sendTestWebhook.' },
  } as const,
});

export const WebhookEventRef = builder.loadableNodeRef('WebhookEvent', {
  id: { resolve: (e: OutboxEventRow) => e.id },
  load: (ids: string[], ctx) => getWebhookEventsByIds(ctx.service, ids).then(orNotFound('Webhook event')),
  sort: (e) => e.id,
});

export const WebhookDeliveryRef = builder.loadableNodeRef('WebhookDelivery', {
  id: { resolve: (d: WebhookDeliveryRow) => d.id },
  load: (ids: string[], ctx) => getWebhookDeliveriesByIds(ctx.service, ids).then(orNotFound('Webhook delivery')),
  sort: (d) => d.id,
});

WebhookEventRef.implement({
  description: 'An event of the outbox: what the game is told, and how far its delivery got.',
  fields: (t) => ({
    eventId: t.exposeString('id', {
      description: 'The `evt_…` id, sent as webhook-id and in the body; the same on every retry.',
    }),
    type: t.exposeString('type', { description: `One of ${outboxEventTypes.join(', ')}.` }),
    game: t.field({ type: GameRef, description: 'The game it is sent to.', resolve: (e) => e.gameId }),
    aggregateId: t.exposeString('aggregateId', {
      description: 'What it is about (a purchase id); delivered in order per aggregate.',
    }),
    sequence: t.exposeInt('sequence', {
      description: 'Its place among the events of the same aggregate (1, 2, 3…); a later one is not sent before it.',
    }),
    status: t.field({
      type: WebhookEventStatusEnum,
      description: 'How far its delivery got.',
      resolve: (e) => e.status,
    }),
    attempts: t.exposeInt('attempts', { description: 'Automatic attempts so far.' }),
    nextAttemptAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the next automatic attempt is due, while PENDING; null otherwise.',
      resolve: (e) => (e.status === 'pending' ? e.nextAttemptAt : null),
    }),
    lastError: t.exposeString('lastError', {
      nullable: true,
      description: 'What went wrong on the last failed attempt (an HTTP status or a network error).',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the event happened and was queued.' }),
    deliveredAt: t.expose('deliveredAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When an attempt got a 2xx; null until then.',
    }),
    body: t.string({ description: 'The JSON body as it is POSTed.', resolve: (e) => webhookBody(e) }),
    deliveries: t.connection(
      {
        type: WebhookDeliveryRef,
        description: 'Every attempt to deliver this event, oldest first.',
        resolve: (e, args, ctx) =>
          resolveCursorConnection(
            { args, toCursor: (d: WebhookDeliveryRow) => toCursor(d.attemptedAt, d.id), maxSize: 100 },
            (p: ResolveCursorConnectionArgs) =>
              listWebhookDeliveries(ctx.service, { gameId: e.gameId, eventId: e.id }, page(p, UUID)),
          ),
      },
      WebhookDeliveryConnection,
    ),
  }),
});

WebhookDeliveryRef.implement({
  description: "One attempt to deliver an event to the game's endpoint.",
  fields: (t) => ({
    event: t.field({ type: WebhookEventRef, description: 'The event it tried to deliver.', resolve: (d) => d.eventId }),
    eventId: t.exposeString('eventId', { description: 'The `evt_…` id of that event.' }),
    url: t.exposeString('url', { description: 'The URL it was POSTed to.' }),
    statusCode: t.exposeInt('statusCode', {
      nullable: true,
      description: 'Null when no answer came (timeout, refused connection).',
    }),
    durationMs: t.exposeInt('durationMs', { description: 'How long the attempt took, in milliseconds.' }),
    success: t.exposeBoolean('success', { description: 'A 2xx answer came back.' }),
    error: t.exposeString('error', {
      nullable: true,
      description: 'Why the attempt failed (a non-2xx answer, a timeout, a refused connection); null on success.',
    }),
    responseExcerpt: t.exposeString('responseExcerpt', {
      nullable: true,
      description: "The start of the endpoint's answer.",
    }),
    trigger: t.field({ type: WebhookTriggerEnum, description: 'What started the attempt.', resolve: (d) => d.trigger }),
    attemptedAt: t.expose('attemptedAt', { type: 'DateTime', description: 'When the attempt was made.' }),
  }),
});

builder.queryField('webhookEvents', (t) =>
  t.connection(
    {
      type: WebhookEventRef,
      description:
        "A game's outbox events, oldest first (last: n for the newest); for its developer, its secret key and operators.",
      args: {
        gameId: t.arg.id({ required: true, description: 'The game whose events to list (gam_…).' }),
        status: t.arg({ type: WebhookEventStatusEnum, description: 'Only events in this delivery state.' }),
        type: t.arg.string({ description: 'Only events of this type, such as purchase.succeeded.' }),
      },
      authScopes: { authenticated: true },
      resolve: (_root, args, ctx) => {
        const gameId = decodeId('Game', args.gameId, 'gameId');
        if (args.type && !(outboxEventTypes as readonly string[]).includes(args.type)) {
          throw ValidationError.field('type', `must be one of ${outboxEventTypes.join(', ')}`);
        }
        return resolveCursorConnection(
          { args, toCursor: (e: OutboxEventRow) => toCursor(e.createdAt, e.id), maxSize: 100 },
          (p: ResolveCursorConnectionArgs) =>
            listWebhookEvents(
              ctx.service,
              { gameId, status: args.status ?? null, type: (args.type as OutboxEventRow['type']) ?? null },
              page(p, EVENT_ID),
            ),
        );
      },
    },
    WebhookEventConnection,
  ),
);

builder.queryField('webhookDeliveries', (t) =>
  t.connection(
    {
      type: WebhookDeliveryRef,
      description:
        "Every delivery attempt of a game's webhooks (or of one event), oldest first (last: n for the newest).",
      args: {
        gameId: t.arg.id({ required: true, description: 'The game whose deliveries to list (gam_…).' }),
        eventId: t.arg.id({ description: 'An `evt_…` id or a WebhookEvent id.' }),
      },
      authScopes: { authenticated: true },
      resolve: (_root, args, ctx) => {
        const gameId = decodeId('Game', args.gameId, 'gameId');
        const eventId = args.eventId != null ? eventIdOf(args.eventId, 'eventId') : null;
        return resolveCursorConnection(
          { args, toCursor: (d: WebhookDeliveryRow) => toCursor(d.attemptedAt, d.id), maxSize: 100 },
          (p: ResolveCursorConnectionArgs) => listWebhookDeliveries(ctx.service, { gameId, eventId }, page(p, UUID)),
        );
      },
    },
    WebhookDeliveryConnection,
  ),
);

const WebhookAttemptPayload = (name: string) =>
  builder.objectRef<{ event: OutboxEventRow; delivery: WebhookDeliveryRow }>(name).implement({
    description: 'The event sent and the attempt just made.',
    fields: (t) => ({
      event: t.field({
        type: WebhookEventRef,
        description: 'The event, with its status now.',
        resolve: (p) => p.event,
      }),
      delivery: t.field({
        type: WebhookDeliveryRef,
        description: "The attempt: the endpoint's status code, timing or error.",
        resolve: (p) => p.delivery,
      }),
    }),
  });

const RedeliverEventInput = builder.inputType('RedeliverEventInput', {
  description: 'An event to send again now.',
  fields: (t) => ({ eventId: t.id({ required: true, description: 'An `evt_…` id or a WebhookEvent id.' }) }),
});
const SendTestWebhookInput = builder.inputType('SendTestWebhookInput', {
  description: 'A game whose webhook endpoint to try with a test event.',
  fields: (t) => ({ gameId: t.id({ required: true, description: 'The game (gam_…).' }) }),
});
const RotateWebhookSecretInput = builder.inputType('RotateWebhookSecretInput', {
  description: 'A game whose webhook signing secret to replace.',
  fields: (t) => ({
    gameId: t.id({ required: true, description: 'The game (gam_…).' }),
    overlapSeconds: t.int({
      description:
        'How long the previous secret keeps signing beside the new one (default 24 h; 0 ends it now; at most 7 days).',
    }),
  }),
});

const WEBHOOK_MANAGERS = { $any: { developer: true, gameSecret: true, operator: true } };

builder.mutationField('redeliverEvent', (t) =>
  t.field({
    type: WebhookAttemptPayload('RedeliverEventPayload'),
    description: 'Sends an event again now, with the same id; a success marks it delivered.',
    args: {
      input: t.arg({
        type: RedeliverEventInput,
        required: true,
        description: 'The webhook event to send again (evt_…).',
      }),
    },
    authScopes: WEBHOOK_MANAGERS,
    errors: { types: [...COMMON_ERRORS, InvalidStateError], directResult: true },
    resolve: (_root, { input }, ctx) =>
      redeliverEvent(ctx.service, { eventId: eventIdOf(input.eventId, 'input.eventId') }),
  }),
);

builder.mutationField('sendTestWebhook', (t) =>
  t.field({
    type: WebhookAttemptPayload('SendTestWebhookPayload'),
    description:
      "Posts a signed `webhook.test` event to the game's endpoint now (once, no retries) and shows the answer.",
    args: {
      input: t.arg({
        type: SendTestWebhookInput,
        required: true,
        description: 'The game whose webhook URL gets a test event (gam_…).',
      }),
    },
    authScopes: WEBHOOK_MANAGERS,
    errors: { types: [...COMMON_ERRORS, InvalidStateError], directResult: true },
    resolve: (_root, { input }, ctx) =>
      sendTestWebhook(ctx.service, { gameId: decodeId('Game', input.gameId, 'input.gameId') }),
  }),
);

const RotateWebhookSecretPayload = builder.objectRef<RotatedWebhookSecret>('RotateWebhookSecretPayload').implement({
  description: 'The new webhook signing secret; store it now, it is never shown again.',
  fields: (t) => ({
    game: t.field({ type: GameRef, description: 'The game.', resolve: (p) => p.game }),
    webhookSecret: t.exposeString('webhookSecret', {
      description: 'The new signing secret `whsec_…`; shown only now.',
    }),
    previousSecretExpiresAt: t.expose('previousSecretExpiresAt', {
      type: 'DateTime',
      description: 'Until then every webhook carries a signature with each secret, so either verifies.',
    }),
  }),
});

builder.mutationField('rotateWebhookSecret', (t) =>
  t.field({
    type: RotateWebhookSecretPayload,
    description: 'A new webhook signing secret; the previous one keeps signing beside it until the overlap ends.',
    args: {
      input: t.arg({
        type: RotateWebhookSecretInput,
        required: true,
        description:
          'The game whose webhook signing secret to replace (gam_…), and how long the old secret keeps signing too.',
      }),
    },
    authScopes: { developer: true },
    errors: { types: [...COMMON_ERRORS], directResult: true },
    resolve: (_root, { input }, ctx) =>
      rotateWebhookSecret(
        ctx.service,
        parseInput(rotateWebhookSecretInput, { ...input, gameId: decodeId('Game', input.gameId, 'input.gameId') }),
      ),
  }),
);

/** The shared Relay connection of webhook deliveries (one type wherever a list of them is paged). */
export const WebhookDeliveryConnection = builder.connectionObject({
  type: WebhookDeliveryRef,
  name: 'WebhookDeliveryConnection',
  description: 'A page of webhook deliveries, with the cursors to fetch the pages around it.',
});

/** The shared Relay connection of webhook events (one type wherever a list of them is paged). */
export const WebhookEventConnection = builder.connectionObject({
  type: WebhookEventRef,
  name: 'WebhookEventConnection',
  description: 'A page of webhook events, with the cursors to fetch the pages around it.',
});
