// PostgreSQL text and jsonb refuse NUL characters and unpaired UTF-16 surrogates, both valid in
// JSON. These helpers find and replace them.

interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

export function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && (text as unknown as WellFormed).isWellFormed();
}

/** The text with NUL and lone surrogates replaced by U+FFFD. */
export function storableText(text: string): string {
  return (text.replaceAll('\u0000', '\ufffd') as unknown as WellFormed).toWellFormed();
}

/** A deep copy whose strings are all storable. */
export function storable<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? storableText(v) : v)),
  ) as T;
}
