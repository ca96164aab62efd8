/**
 * The one parser of numeric command-line flags. Each kind is a rule and the words its error line uses; the
 * wording of a command's error line is kept as it was (scripts and golden outputs read them), so callers
 * choose one of three: "--flag: expected an integer, got 'x'", "--flag x: expected an integer",
 * "--flag: 'x' is not an integer". Errors are FlagValueErrors (exit 2) carrying the flag and the value.
 * In core/ so that every floor that reads flags (the CLI, the pass registry's flag parsers) can share it.
 */
import { InvalidArgumentError } from 'commander';
import { FlagValueError } from '../errors.js';

/** What a numeric flag accepts ('integer >= 1' / 'positive integer' and 'integer >= 0' / 'non-negative integer' are one rule worded two ways). */
export type NumberKind =
  | 'number'
  | 'positive number'
  | 'integer'
  | 'positive integer'
  | 'integer >= 1'
  | 'non-negative integer'
  | 'integer >= 0'
  | 'integer in 0..4294967295';

/** How the error line is worded: `flag: expected K, got 'v'`, `flag v: expected K`, or `flag: 'v' is not K`. */
export type NumberWording = 'expected-got' | 'value-expected' | 'is-not';

const ACCEPTS: Record<NumberKind, (n: number) => boolean> = {
  number: (n) => Number.isFinite(n),
  'positive number': (n) => Number.isFinite(n) && n > 0,
  integer: (n) => Number.isInteger(n),
  'positive integer': (n) => Number.isInteger(n) && n >= 1,
  'integer >= 1': (n) => Number.isInteger(n) && n >= 1,
  'non-negative integer': (n) => Number.isInteger(n) && n >= 0,
  'integer >= 0': (n) => Number.isInteger(n) && n >= 0,
  'integer in 0..4294967295': (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff,
};

/** "a number", "an integer". */
function withArticle(kind: NumberKind): string {
  return `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;
}

/** Whether `text` (read with Number(), as every flag always was) is a number of this kind; the number or undefined. */
export function numberOfKind(text: string, kind: NumberKind): number | undefined {
  const n = Number(text);
  return ACCEPTS[kind](n) ? n : undefined;
}

/** Parses a flag's value; throws a FlagValueError naming the flag and the value. */
export function parseNumberFlag(flag: string, text: string, kind: NumberKind, wording: NumberWording = 'expected-got'): number {
  const n = numberOfKind(text, kind);
  if (n !== undefined) return n;
  const k = withArticle(kind);
  const line =
    wording === 'expected-got'
      ? `${flag}: expected ${k}, got '${text}'`
      : wording === 'value-expected'
        ? `${flag} ${text}: expected ${k}`
        : `${flag}: '${text}' is not ${k}`;
  throw new FlagValueError(flag, text, kind, line);
}

/** parseNumberFlag for a flag that may be absent (undefined stays undefined). */
export function optionalNumberFlag(flag: string, text: string | undefined, kind: NumberKind, wording: NumberWording = 'expected-got'): number | undefined {
  return text === undefined ? undefined : parseNumberFlag(flag, text, kind, wording);
}

/** `run`'s counts that may be 0: "expected an integer" when not an integer, then "expected an integer >= 0". */
export function nonNegativeFlag(flag: string, text: string): number {
  parseNumberFlag(flag, text, 'integer');
  return parseNumberFlag(flag, text, 'integer >= 0');
}

/** `--external-data [bytes]`: absent → undefined, bare → 1024, else the number given. */
export function externalDataThreshold(flag: string | boolean | undefined): number | undefined {
  if (flag === undefined || flag === false) return undefined;
  return flag === true ? 1024 : parseNumberFlag('--external-data', flag, 'number');
}

/** A commander option parser: commander names the flag and the value itself ("'x' is not an integer" follows). */
export function numberArg(kind: NumberKind): (text: string) => number {
  return (text) => {
    const n = numberOfKind(text, kind);
    if (n === undefined) throw new InvalidArgumentError(`'${text}' is not ${withArticle(kind)}`);
    return n;
  };
}
