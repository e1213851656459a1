/** `a, b,c` → ['a', 'b', 'c']; undefined stays undefined (the option was not given). */
export function commaList(value: string | undefined): string[] | undefined {
  return value
    ?.split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/** yes/no flags: anything else is refused, naming the flag. */
export function yesNo(flag: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (['yes', 'true', '1'].includes(value)) return true;
  if (['no', 'false', '0'].includes(value)) return false;
  throw new Error(`${flag} must be yes or no`);
}
