/**
 * Errors a user can act on. The CLI prints their message alone (no stack trace) and exits 1;
 * anything else that escapes is a bug and is printed with its stack.
 */
export class CntlensError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CntlensError';
  }
}

/** An input file that cannot be used: the message always names the file and the problem. */
export class InputError extends CntlensError {
  readonly file: string;
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'InputError';
    this.file = file;
  }
}

/** A bad option or argument value, named as the user wrote it (e.g. `--positions`). */
export class OptionError extends CntlensError {
  constructor(option: string, problem: string) {
    super(`${option}: ${problem}`);
    this.name = 'OptionError';
  }
}
