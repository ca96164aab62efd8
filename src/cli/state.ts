/** Process-wide CLI state that commands may set (only main.ts turns it into the exit code). */
export const cliState = {
  exitCode: 0,
  verbose: false,
};

/** Output sink for commands; tests swap it to capture what a command prints. */
export const out = {
  write(s: string): void {
    process.stdout.write(s);
  },
  error(s: string): void {
    process.stderr.write(s);
  },
};
