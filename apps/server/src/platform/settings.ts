/**
 * A feature's settings: a zod object whose defaults are the feature's defaults, and the
 * environment variables that set its fields. `env.ts` validates every running feature's
 * variables together with the server's own, in one place; overrides given in code
 * (`feature.with({...})`, or `config.features[name]` in tests) are applied last and
 * validated by the same schema.
 *
 * @example
 * const settings = {
 *   schema: z.object({ retention: z.number().int().min(1).default(1_000) }),
 *   env: { CHAT_RETENTION: { key: 'retention', parse: envInt(1, 1_000_000), doc: 'messages kept per channel' } },
 * } satisfies SettingsSpec<{ retention: number }>;
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** How one environment variable sets one field. */
export interface EnvSetting<T> {
  /** The settings field it sets. */
  key: Extract<keyof T, string>;
  /** Turns the variable's text into the field's value. */
  parse: z.ZodType;
}

export interface SettingsSpec<T> {
  /** Validates the merged settings and supplies the defaults. */
  schema: z.ZodType<T>;
  /** Environment variables by name. Names are global: two features may not claim one. */
  env?: Record<string, EnvSetting<T>>;
}

/** A number; the settings schema checks its range and says which variable is out of it. */
export const envNumber = z.coerce.number({ error: 'must be a number' }).finite({ error: 'must be a finite number' });
export const envInt = (min: number, max: number) => {
  const error = `must be a whole number from ${min} to ${max}`;
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
export const envBool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');
/** A comma-separated list. */
export const envList = z.string().transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean));
/** JSON text, validated by `schema`. */
export function envJson<T extends z.ZodType>(schema: T, example: string) {
  return z
    .string()
    .transform((value, ctx) => {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: `must be JSON like ${example}` });
        return z.NEVER;
      }
    })
    .pipe(schema);
}
/** A file of one item per line (blank lines and `#` comments skipped). */
export const envLinesFile = z.string().transform((path, ctx) => {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` });
    return z.NEVER;
  }
});

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'SettingsError';
  }
}

/**
 * Reads a feature's variables from `source`. Returns the fields they set, or throws
 * `SettingsError` with one line per bad variable, named.
 */
export function settingsFromEnv<T>(spec: SettingsSpec<T> | undefined, source: Record<string, string | undefined>): Partial<T> {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, setting] of Object.entries(spec?.env ?? {})) {
    const raw = source[name];
    if (raw === undefined || raw === '') continue;
    const parsed = setting.parse.safeParse(raw);
    if (parsed.success) values[setting.key] = parsed.data;
    else problems.push(`${name}: ${parsed.error.issues.map((issue) => issue.message).join(', ')}`);
  }
  if (problems.length) throw new SettingsError(problems);
  return values as Partial<T>;
}

/** Defaults, then `layers` in order, validated; problems name the feature and the field (and its variable). */
export function resolveSettings<T>(feature: string, spec: SettingsSpec<T> | undefined, ...layers: Partial<T>[]): T {
  if (!spec) return undefined as T;
  const merged = Object.assign({}, ...layers) as Record<string, unknown>;
  const parsed = spec.schema.safeParse(merged);
  if (parsed.success) return parsed.data;
  const variableOf = (key: string) => Object.entries(spec.env ?? {}).find(([, setting]) => setting.key === key)?.[0];
  throw new SettingsError(
    parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const variable = variableOf(key);
      return `${variable ?? `${feature}.${issue.path.join('.')}`}: ${issue.message}`;
    }),
  );
}
