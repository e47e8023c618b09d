import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { isoTime, parseStorableTime } from '../db/index.js';

function parseDateTime(value: unknown): Date {
  const date = parseStorableTime(value);
  if (!date) {
    throw new GraphQLError(
      'DateTime must be an ISO 8601 string with an offset, from year 1 to year 9999 in UTC, for example "2026-11-24T09:30:00Z".',
      { extensions: { code: 'BAD_USER_INPUT' } },
    );
  }
  return date;
}

export const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An ISO 8601 timestamp in UTC with millisecond precision.',
  // As in the SDL: graphql-tools copies this object's fields over the SDL's, so say it here too.
  specifiedByURL: 'https://scalars.graphql.org/andimarek/date-time',
  serialize(value) {
    return isoTime(value instanceof Date ? value : parseDateTime(value));
  },
  parseValue: parseDateTime,
  parseLiteral(ast) {
    return parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined);
  },
});
