import { InvalidArgumentError } from 'commander';

/**
 * An option's argument parser for a whole number within [min, max]: another value is refused by
 * commander with one line naming the option and what is expected (`Number('abc')` would be NaN,
 * silently taken as a default, or reach Node as "options.port should be >= 0").
 * The value stays the string given, as the options' defaults are.
 */
export function wholeNumber(min: number, max: number = Number.MAX_SAFE_INTEGER): (value: string) => string {
  return (value) => {
    const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER ? `expected a whole number of at least ${min}.` : `expected a whole number from ${min} to ${max}.`,
      );
    }
    return value.trim();
  };
}
