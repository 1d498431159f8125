/** A flag or environment variable has a bad value; the message names the option (exit code 2). */
export class ConfigError extends Error {}
