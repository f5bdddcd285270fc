// errors: the environment-level failures a rank can meet while setting up, each mapped by
// cmd/ to one line and an exit status (cmd/exit.ts). Protocol code throws these; only cmd/
// decides how a process ends.

/** ForeignStateError: data on disk belongs to another run or is corrupt (exit 4). */
export class ForeignStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForeignStateError';
  }
}
