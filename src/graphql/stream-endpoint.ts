// GraphQL over SSE in both of graphql-sse's modes. Distinct connections (one stream per operation)
// work on /graphql itself, yoga's own SSE; the single-connection mode (PUT for a stream token, GET
// the stream, POST operations with the token) needs the graphql-sse protocol handler, served on
// /graphql/stream by @graphql-yoga/plugin-graphql-sse, which also answers distinct connections there.
import { getOperationAST, GraphQLError } from 'graphql';
import { useGraphQLSSE } from '@graphql-yoga/plugin-graphql-sse';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from './context.js';

export const STREAM_ENDPOINT = '/graphql/stream';

/**
 * The graphql-sse handler on STREAM_ENDPOINT, for subscriptions only: its responses bypass yoga's
 * result processing, where idempotent mutations are stored and replayed, so a query or mutation
 * sent there is refused (with where to send it) before it runs.
 */
export function streamEndpointPlugins(): Plugin[] {
  const subscriptionsOnly: Plugin<GraphQLContext> = {
    onExecute({ args, setResultAndStopExecution }) {
      const request = (args.contextValue as GraphQLContext).request;
      if (!new URL(request.url).pathname.endsWith(STREAM_ENDPOINT)) return;
      if (getOperationAST(args.document, args.operationName)?.operation === 'subscription') return;
      setResultAndStopExecution({
        data: null,
        errors: [
          new GraphQLError(`${STREAM_ENDPOINT} serves subscriptions only; send queries and mutations to /graphql.`, {
            extensions: { code: 'BAD_REQUEST' },
          }),
        ],
      });
    },
  };
  // graphql-sse takes a result for one only when it has a `data` key, while graphql-js answers a
  // subscription refused at its start (NOT_FOUND, FORBIDDEN) with `{ errors }` alone; without the key
  // the client got "400 Unable to detect operation AST" instead of the error.
  const resultsWithData: Plugin<GraphQLContext> = {
    onSubscribe({ args }) {
      const request = (args.contextValue as GraphQLContext).request;
      if (!new URL(request.url).pathname.endsWith(STREAM_ENDPOINT)) return;
      return {
        onSubscribeResult({ result, setResult }) {
          if (!(Symbol.asyncIterator in result) && !('data' in result)) setResult({ ...result, data: null });
        },
      };
    },
  };
  return [
    useGraphQLSSE({ endpoint: STREAM_ENDPOINT }) as Plugin,
    subscriptionsOnly as Plugin,
    resultsWithData as Plugin,
  ];
}
