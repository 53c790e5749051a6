// Names the request's span after the GraphQL operation it runs (OpenTelemetry's GraphQL conventions):
// `mutation createPurchase`, with graphql.operation.type and graphql.operation.name. The span name uses
// the root field rather than the client-chosen operation name (low cardinality); the document itself
// is not attached, since an inline literal could be a card number.
import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { DocumentNode, ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { OperationLabel } from './operation-label.js';

type Labeler = (document: DocumentNode, operationName?: string | null) => OperationLabel;

export function tracingPlugin(labelOf: Labeler): Plugin {
  const annotate = (document: DocumentNode, operationName: string | null | undefined) => {
    const span = trace.getActiveSpan();
    if (!span?.isRecording()) return null;
    const { type, label, name } = labelOf(document, operationName);
    span.updateName(type ? `${type} ${label}` : 'GraphQL Operation');
    if (type) span.setAttribute('graphql.operation.type', type);
    if (name) span.setAttribute('graphql.operation.name', name.slice(0, 100));
    return span;
  };
  const onDone = (span: ReturnType<typeof annotate>) => (result: ExecutionResult) => {
    const errors = result.errors ?? [];
    if (!span || errors.length === 0) return;
    const code = errors[0]?.extensions?.code;
    span.setAttribute('error.type', typeof code === 'string' ? code.slice(0, 64) : '_OTHER');
    span.setStatus({ code: SpanStatusCode.ERROR });
  };
  return {
    onExecute({ args }) {
      const done = onDone(annotate(args.document, args.operationName));
      return {
        onExecuteDone({ result }) {
          if (!(Symbol.asyncIterator in result)) done(result);
        },
      };
    },
    onSubscribe({ args }) {
      annotate(args.document, args.operationName);
    },
  };
}
