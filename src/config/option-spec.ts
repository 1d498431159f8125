/** How one `serve` option is spelled, read and explained; the option tables are built from it. */
export interface OptionSpec {
  /** `--flag` without the dashes. */
  readonly flag: string;
  /** The environment variable; a flag beats it. */
  readonly env: string;
  readonly kind: 'string' | 'int' | 'enum';
  /** The accepted values of an `enum`. */
  readonly values?: readonly string[];
  /** One line for `--help`. */
  readonly help: string;
  /** Absent: unset unless given. */
  readonly default?: string | number;
  /** An `int` below this is raised to it (a zero that would make no sense); default 0. */
  readonly atLeast?: number;
}
