import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * graphql-js repeats a rejected input value in its messages ("String cannot represent a non string
 * value: 4242424242424242", "Expected value of type …, found …", "got invalid value …"). An input
 * may be a card number or a CVC typed with the wrong type, so those values are cut from every
 * error message, and any run of 12 to 19 digits left anywhere in a message is masked.
 */
export function redactInputValues(message: string): string {
  return message
    .replace(/(cannot represent [^:]*value): [\s\S]*$/, '$1.')
    .replace(/(Expected value of type "[^"]*"), found [\s\S]*?(;|\.$|$)/, '$1$2')
    .replace(/(got invalid value) [\s\S]*?( at "[^"]*")?(;|$)/, '$1$2$3')
    .replace(/(Value|value) ("|')[^"']*\2 (does not exist|is not)/, '$1 $3')
    .replace(/\d(?:[ -]?\d){11,18}/g, '[redacted]');
}

/** JSON.parse quotes the text around a syntax error ("… "{"number": "4242…" is not valid JSON"): drop the quote. */
function redactJsonSyntax(message: string): string {
  return redactInputValues(message.replace(/,? "[\s\S]*" is not valid JSON$/, ' (the text is not shown)'));
}

function redactError(error: GraphQLError): GraphQLError {
  const message = redactInputValues(error.message);
  // Yoga attaches the request parser's error (name and message) as extensions.originalError.
  const original = error.extensions?.originalError as { name?: unknown; message?: unknown } | undefined;
  const originalMessage = typeof original?.message === 'string' ? redactJsonSyntax(original.message) : undefined;
  if (message === error.message && originalMessage === original?.message) return error;
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: original
      ? { ...error.extensions, originalError: { ...original, message: originalMessage } }
      : error.extensions,
  });
}

function redactResult(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.length) return result;
  return {
    ...result,
    errors: result.errors.map((e) =>
      e instanceof GraphQLError ? redactError(e) : new GraphQLError(redactInputValues(String((e as Error).message))),
    ),
  };
}

/** Yoga plugin: the last step before a result is written, for parse, validation and execution errors alike. */
export function redactInputValuesPlugin(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result)) setResult(result.map((r) => redactResult(r as ExecutionResult)));
      else if (result && typeof result === 'object' && 'errors' in result)
        setResult(redactResult(result as ExecutionResult));
    },
  };
}
