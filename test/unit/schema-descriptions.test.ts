import { buildSchema, isEnumType, isInputObjectType, isInterfaceType, isNonNullType, isObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadSchemaSource } from '../../src/graphql/schema-source.js';

describe('the public schema', () => {
  const schema = buildSchema(loadSchemaSource());
  const ownTypes = Object.values(schema.getTypeMap()).filter(
    (type) => !type.name.startsWith('__') && !['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name),
  );

  it('describes every type', () => {
    const undescribed = ownTypes.filter((type) => !type.description?.trim()).map((type) => type.name);
    expect(undescribed).toEqual([]);
  });

  it('describes every field, argument, input field and enum value', () => {
    const undescribed: string[] = [];
    for (const type of ownTypes) {
      if (isObjectType(type) || isInterfaceType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description?.trim()) undescribed.push(`${type.name}.${field.name}`);
          for (const arg of field.args) if (!arg.description?.trim()) undescribed.push(`${type.name}.${field.name}(${arg.name})`);
        }
      } else if (isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) if (!field.description?.trim()) undescribed.push(`${type.name}.${field.name}`);
      } else if (isEnumType(type)) {
        for (const value of type.getValues()) if (!value.description?.trim()) undescribed.push(`${type.name}.${value.name}`);
      }
    }
    expect(undescribed).toEqual([]);
  });
});

describe('fields that need a scope', () => {
  const schema = buildSchema(loadSchemaSource());
  const scoped = Object.values(schema.getTypeMap())
    .filter(isObjectType)
    .flatMap((type) => Object.values(type.getFields()).map((field) => ({ type: type.name, field })))
    .filter(({ field }) => field.astNode?.directives?.some((directive) => directive.name.value === 'requiresScope'));

  it('exist', () => {
    expect(scoped.length).toBeGreaterThan(10);
  });

  it('say which scope in their description, for a reader of the schema', () => {
    const silent = scoped.filter(({ field }) => {
      const argument = field.astNode!.directives!.find((directive) => directive.name.value === 'requiresScope')!.arguments![0]!;
      const scope = (argument.value as { value: string }).value;
      return !field.description?.includes(`Requires scope ${scope}.`);
    });
    expect(silent.map(({ type, field }) => `${type}.${field.name}`)).toEqual([]);
  });

  it('can be null, so a refusal leaves the rest of the response standing', () => {
    expect(scoped.filter(({ field }) => isNonNullType(field.type)).map(({ type, field }) => `${type}.${field.name}`)).toEqual([]);
  });
});
