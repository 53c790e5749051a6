import {
  getOperationAST,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationTypeNode,
  type SelectionSetNode,
} from 'graphql';

/** What an executed operation is, in words the server chose rather than the client. */
export interface OperationLabel {
  readonly type: OperationTypeNode | null;
  /**
   * The root field the operation selects (`createPurchase`, `viewer`), `multiple` when it selects
   * several, `introspection` for `__schema`/`__type`/`__typename` alone, `other` for anything else.
   */
  readonly label: string;
  /** The operation's own name in the document (client-chosen: an attribute, never a label). */
  readonly name: string | null;
}

/**
 * Labels operations by their root field instead of the client-chosen operation name: the values are
 * the schema's own root fields (52 today) plus three words, so a client cannot mint a time series or
 * a span name by naming its operations.
 */
export function operationLabeler(
  schema: GraphQLSchema,
): (document: DocumentNode, operationName?: string | null) => OperationLabel {
  const known = new Set<string>();
  for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
    for (const name of Object.keys(root?.getFields() ?? {})) known.add(name);
  }
  return (document, operationName) => {
    const operation = getOperationAST(document, operationName ?? undefined);
    if (!operation) return { type: null, label: 'other', name: null };
    const type = operation.operation;
    const name = operation.name?.value ?? null;
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of document.definitions) {
      if (definition.kind === 'FragmentDefinition') fragments.set(definition.name.value, definition);
    }
    const fields = new Set<string>();
    rootFields(operation.selectionSet, fragments, fields, new Set());
    const own = [...fields].filter((name) => !name.startsWith('__'));
    if (own.length === 0) return { type, name, label: fields.size > 0 ? 'introspection' : 'other' };
    if (own.length > 1) return { type, name, label: 'multiple' };
    return { type, name, label: known.has(own[0]!) ? own[0]! : 'other' };
  };
}

/** The field names (not aliases) an operation selects at its root, through fragments. */
function rootFields(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  into: Set<string>,
  visited: Set<string>,
): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === 'Field') into.add(selection.name.value);
    else if (selection.kind === 'InlineFragment') rootFields(selection.selectionSet, fragments, into, visited);
    else if (!visited.has(selection.name.value)) {
      visited.add(selection.name.value);
      const fragment = fragments.get(selection.name.value);
      if (fragment) rootFields(fragment.selectionSet, fragments, into, visited);
    }
  }
}
