/** Waiting for Ctrl-C or SIGTERM, for the commands that run in the foreground until stopped. */

/**
 * Resolves with the signal's name at the first SIGINT or SIGTERM. After that, a second Ctrl-C while
 * the command is still stopping ends the process at once (exit 130), as shells expect.
 */
export function untilStopSignal(): Promise<'SIGINT' | 'SIGTERM'> {
  return new Promise((resolve) => {
    const stop = (signal: 'SIGINT' | 'SIGTERM') => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      process.once('SIGINT', () => process.exit(130));
      resolve(signal);
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}
