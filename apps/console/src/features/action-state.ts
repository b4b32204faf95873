/** What a server action tells its form: a message, and messages next to fields. */
export interface ActionState {
  readonly ok: boolean;
  readonly message: string;
  readonly fields?: Readonly<Record<string, string>>;
  /** Echo of what was submitted, so a refused form keeps its values. */
  readonly values?: Readonly<Record<string, string>>;
}

export function formValues(form: FormData): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of form) if (typeof v === 'string' && !k.startsWith('$')) out[k] = v;
  return out;
}
