/** The shared numeric flag parser keeps each command's error line as it was worded before it was shared. */
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { FlagValueError, UsageError } from '../../src/errors.js';
import { externalDataThreshold, nonNegativeFlag, numberArg, optionalNumberFlag, parseNumberFlag } from '../../src/core/number-flag.js';

const line = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
};

describe('number-flag', () => {
  it('parses with Number() and checks the kind', () => {
    expect(parseNumberFlag('--steps', '12', 'integer')).toBe(12);
    expect(parseNumberFlag('--max-rtf', '0.5', 'number', 'is-not')).toBe(0.5);
    expect(optionalNumberFlag('--runs', undefined, 'non-negative integer')).toBeUndefined();
    expect(parseNumberFlag('--seed', '4294967295', 'integer in 0..4294967295', 'is-not')).toBe(4294967295);
    expect(externalDataThreshold(true)).toBe(1024);
    expect(externalDataThreshold('2048')).toBe(2048);
    expect(externalDataThreshold(undefined)).toBeUndefined();
  });

  it('words each error line as the commands did', () => {
    expect(line(() => parseNumberFlag('--steps', 'x', 'integer'))).toBe("--steps: expected an integer, got 'x'");
    expect(line(() => nonNegativeFlag('--threads', '1.5'))).toBe("--threads: expected an integer, got '1.5'");
    expect(line(() => nonNegativeFlag('--threads', '-1'))).toBe("--threads: expected an integer >= 0, got '-1'");
    expect(line(() => parseNumberFlag('--max-rtf', 'abc', 'number', 'is-not'))).toBe("--max-rtf: 'abc' is not a number");
    expect(line(() => parseNumberFlag('--repeats', '0', 'positive integer'))).toBe("--repeats: expected a positive integer, got '0'");
    expect(line(() => parseNumberFlag('--runs', '-2', 'non-negative integer', 'value-expected'))).toBe('--runs -2: expected a non-negative integer');
    expect(line(() => parseNumberFlag('--seed', '-1', 'integer in 0..4294967295', 'is-not'))).toBe("--seed: '-1' is not an integer in 0..4294967295");
    expect(line(() => parseNumberFlag('--audio-seconds', '0', 'positive number', 'value-expected'))).toBe('--audio-seconds 0: expected a positive number');
    expect(line(() => parseNumberFlag('--batch', '0', 'integer >= 1'))).toBe("--batch: expected an integer >= 1, got '0'");
    expect(line(() => externalDataThreshold('lots'))).toBe("--external-data: expected a number, got 'lots'");
  });

  it('throws a typed usage error carrying the flag and value; commander parsers throw commander errors', () => {
    let err: unknown;
    try {
      parseNumberFlag('--workers', 'two', 'integer');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FlagValueError);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as FlagValueError).flag).toBe('--workers');
    expect((err as FlagValueError).value).toBe('two');
    expect(() => numberArg('non-negative integer')('-3')).toThrow(InvalidArgumentError);
    expect(line(() => numberArg('non-negative integer')('-3'))).toBe("'-3' is not a non-negative integer");
  });
});
