import {
  GraphQLError,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { compileRead, isoTime, Slot, type CompiledRead, type ReadField, type ReadFormats } from '../db/index.js';
import { ShopGraphError } from '../errors.js';
import type { Caller } from './auth/index.js';
import { ByteBoundedCache, identityOf, textBytes } from './byte-cache.js';
import { fragmentsOf } from './limits/cost.js';
import { globalIdSql } from './ids.js';
import { planRead, PLANNED_FIELDS } from './read-plan.js';

/** Where a slot may stand: `Type.field(argument)` or `Type.field(argument.inputField)`, from PLANNED_FIELDS. */
const SLOT_ARGUMENTS: ReadonlySet<string> = new Set(
  Object.entries(PLANNED_FIELDS).flatMap(([field, planned]) => planned.slots.map((slot) => `${field}(${slot})`)),
);

/** How compiled statements write what the GraphQL layer defines. */
const FORMATS: ReadFormats = { globalId: globalIdSql };

/** A compiled read ready to run for one request. */
export interface ReadStatement {
  text: string;
  parameters: unknown[];
  /** Run it as a named prepared statement (planned once per connection), or unnamed (planned on each execution). */
  prepare: boolean;
}

interface Template {
  /** The statement, with slots among its parameters. */
  statement: CompiledRead;
  /** Whether it runs as a named prepared statement: a generic plan, within the PreparedTexts bound. */
  prepare: boolean;
  /** Every slot of the plan, in the statement or not: each is checked for every request. */
  slots: Slot[];
}

interface OperationEntry {
  fragments: Record<string, FragmentDefinitionNode>;
  /** Variables used only where a slot may stand (SLOT_ARGUMENTS). */
  slots: ReadonlyMap<string, Slot>;
}

/**
 * Compiled reads by operation. Planning and compiling a read costs as much CPU as the rest of
 * a request's GraphQL work, and its SQL text depends only on the document, the caller's
 * scopes and some of the variables: ids, skus, page sizes and most filter fields only become
 * parameters. So an operation is compiled once per scopes and values of its other variables,
 * with slots where those parameters go, and each request fills the slots from its own
 * variables. The statements are kept within a byte bound, least recently used out first.
 */
export class ReadTemplates {
  private readonly operations = new WeakMap<OperationDefinitionNode, OperationEntry>();
  /** By operation and template key (see templateKeyOf); null: not compiled. */
  readonly cache: ByteBoundedCache<string, Template | null>;
  readonly prepared: PreparedTexts;

  constructor(
    private readonly schema: GraphQLSchema,
    bounds: { templateBytes: number; preparedBytes: number },
  ) {
    this.cache = new ByteBoundedCache('templates', bounds.templateBytes, templateBytes);
    this.prepared = new PreparedTexts(bounds.preparedBytes);
  }

  /**
   * The statement for this request, or undefined when the resolvers must answer it.
   * `variables` are the request's variables as graphql-js coerces them (getVariableValues).
   */
  statementFor(
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Record<string, unknown>,
    caller: Caller,
  ): ReadStatement | undefined {
    // A customer token's row rules need the resolvers; and the key below names scopes, not
    // customers, so planning for one must not leave an entry that other callers would share.
    if (operation.operation !== 'query' || caller.customerId !== undefined) return undefined;
    const entry = this.entryFor(document, operation);
    const { planned, key: templateKey } = templateKeyOf(operation, entry.slots, variables, caller);
    const key = templateKey === undefined ? undefined : `${identityOf(operation)}:${templateKey}`;
    let template = key === undefined ? undefined : this.cache.get(key);
    if (template === undefined) {
      let plan: ReadField[] | undefined;
      try {
        plan = planRead(this.schema, operation, entry.fragments, planned, caller);
      } catch (error) {
        // Invalid arguments: the resolvers refuse them with the field named, and nothing refused is kept.
        if (error instanceof ShopGraphError || error instanceof GraphQLError) return undefined;
        throw error;
      }
      const statement = plan && compileRead(plan, FORMATS);
      template = statement
        ? {
            statement,
            prepare: statement.plan === 'generic' && this.prepared.admits(statement.text),
            slots: [...new Set([...slotsOf(plan!), ...statement.parameters.filter((value) => value instanceof Slot)])],
          }
        : null;
      if (key !== undefined) this.cache.set(key, template);
    }
    if (!template) return undefined;
    let filled: Map<Slot, unknown>;
    try {
      filled = new Map(template.slots.map((slot) => [slot, slot.fill(variables)]));
    } catch {
      // An id of the wrong type, a negative page size: the resolvers refuse it with the field named.
      return undefined;
    }
    const { text, parameters } = template.statement;
    return {
      text,
      parameters: parameters.map((value) => (value instanceof Slot ? driverValue(filled.get(value)) : value)),
      prepare: template.prepare,
    };
  }

  private entryFor(document: DocumentNode, operation: OperationDefinitionNode): OperationEntry {
    let entry = this.operations.get(operation);
    if (!entry) {
      const fragments = fragmentsOf(document);
      const slots = new Map([...slotVariables(this.schema, document)].map((name) => [name, new Slot((variables) => variables[name])]));
      entry = { fragments, slots };
      this.operations.set(operation, entry);
    }
    return entry;
  }
}

/**
 * The statement texts compiled reads run as named prepared statements. postgres.js keeps every
 * named statement of each connection, and PostgreSQL its plan, for as long as the connection
 * lives, with no bound; so only texts up to a byte bound are prepared, first come. Any other
 * text runs unnamed: planned on each execution, as a custom plan is anyway.
 */
export class PreparedTexts {
  readonly name = 'prepared-statements';
  private readonly texts = new Set<string>();
  private used = 0;

  constructor(readonly maxBytes: number) {}

  /** Whether `text` may run as a named prepared statement (it may from now on if it fits). */
  admits(text: string): boolean {
    if (this.texts.has(text)) return true;
    const bytes = textBytes(text);
    if (this.used + bytes > this.maxBytes) return false;
    this.texts.add(text);
    this.used += bytes;
    return true;
  }

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.texts.size;
  }
}

/**
 * A filled slot's value as the column would have encoded it for the driver: drizzle encodes
 * the values it is given (a Date as its ISO text), not the placeholders it passes through.
 */
function driverValue(value: unknown): unknown {
  return value instanceof Date ? isoTime(value) : value;
}

/** Longest template key kept: a request whose other variables hold more is planned for itself alone. */
const MAX_KEY_LENGTH = 2048;

/** Heap bytes of a kept template: its key, its SQL text, and its parameters and slots, roughly. */
function templateBytes(key: string, template: Template | null): number {
  const entries = template ? template.statement.parameters.length + template.slots.length : 0;
  return textBytes(key) + (template ? textBytes(template.statement.text) : 0) + 64 * entries + 128;
}

/**
 * What a request's statement is planned from (`planned`: its variables, with slots for those
 * that only become parameters) and the key of that plan: the caller's scopes and, for every
 * variable of the operation, whether it is absent, null or a filled slot, or its value. Two
 * requests with the same key get the same SQL text; `key` is undefined when it is too long to
 * keep.
 */
function templateKeyOf(
  operation: OperationDefinitionNode,
  slots: ReadonlyMap<string, Slot>,
  variables: Record<string, unknown>,
  caller: Caller,
): { planned: Record<string, unknown>; key: string | undefined } {
  const planned: Record<string, unknown> = {};
  const key: unknown[] = [[...caller.scopes].sort().join(' ')];
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    const slot = slots.get(name);
    if (!(name in variables)) key.push(ABSENT);
    else if (variables[name] === null) {
      planned[name] = null;
      key.push(NULL);
    } else if (slot) {
      planned[name] = slot;
      key.push(SLOT);
    } else {
      planned[name] = variables[name];
      key.push([variables[name]]);
    }
  }
  const text = JSON.stringify(key);
  return { planned, key: text.length <= MAX_KEY_LENGTH ? text : undefined };
}

/** The states of a variable in a template key; a value is wrapped in an array, so none of them can pass for it. */
const ABSENT = 0;
const NULL = 1;
const SLOT = 2;

/**
 * The variables that appear only as the whole value of a slot argument, anywhere in the
 * document (other operations included, which can only make the answer smaller).
 */
function slotVariables(schema: GraphQLSchema, document: DocumentNode): Set<string> {
  const typeInfo = new TypeInfo(schema);
  const uses = new Map<string, number>();
  const slotUses = new Map<string, number>();
  const count = (counts: Map<string, number>, name: string) => counts.set(name, (counts.get(name) ?? 0) + 1);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      VariableDefinition: () => false,
      Variable: (node) => void count(uses, node.name.value),
      Argument(node) {
        if (typeInfo.getDirective()) return;
        const argument = `${typeInfo.getParentType()?.name}.${typeInfo.getFieldDef()?.name}(${node.name.value}`;
        if (node.value.kind === Kind.VARIABLE && SLOT_ARGUMENTS.has(`${argument})`)) count(slotUses, node.value.name.value);
        if (node.value.kind !== Kind.OBJECT) return;
        for (const field of node.value.fields) {
          if (field.value.kind === Kind.VARIABLE && SLOT_ARGUMENTS.has(`${argument}.${field.name.value})`))
            count(slotUses, field.value.name.value);
        }
      },
    }),
  );
  return new Set([...uses].filter(([name, total]) => slotUses.get(name) === total).map(([name]) => name));
}

/** The slots among the plan's arguments: whole argument values, or fields of a filter. */
function slotsOf(fields: ReadField[]): Slot[] {
  return fields.flatMap((field) => [
    ...Object.values(field.args).flatMap((value) =>
      value instanceof Slot
        ? [value]
        : value && typeof value === 'object'
          ? Object.values(value).filter((inner): inner is Slot => inner instanceof Slot)
          : [],
    ),
    ...slotsOf(field.fields ?? []),
  ]);
}
