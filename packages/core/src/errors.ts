/** Base of every error core throws. `code` is stable and meant for programmatic checks. */
export class ResilienceError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** One problem found in a config: where (`path`, dotted) and why. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** A config (or switch document) failed validation. Lists every issue, each naming its field. */
export class ConfigError extends ResilienceError {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[], what = 'config') {
    super(
      'ERR_INVALID_CONFIG',
      `invalid ${what}:\n` + issues.map(i => `  - ${i.path || '(root)'}: ${i.message}`).join('\n'),
    );
    this.issues = issues;
  }
}

/** An option passed to a core constructor is out of range. Thrown at construction, never later. */
export function assertRange(name: string, value: number, min: number, max = Infinity): void {
  if (!(value >= min && value <= max) || Number.isNaN(value)) {
    throw new RangeError(`${name} must be in [${min}, ${max}], got ${value}`);
  }
}
