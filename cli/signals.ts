/** Waiting for Ctrl-C or SIGTERM, for the commands that run in the foreground until stopped. */

/**
 * Resolves with the signal's name at the first SIGINT or SIGTERM. After that, a second Ctrl-C while
 * the command is still stopping ends the process at once (exit 130), as shells expect.
 * @param done stops listening (the promise then never settles): for a command that also ends by itself
 */
export function untilStopSignal(done?: AbortSignal): Promise<'SIGINT' | 'SIGTERM'> {
  return new Promise((resolve) => {
    const stopListening = () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    };
    const stop = (signal: 'SIGINT' | 'SIGTERM') => {
      stopListening();
      done?.removeEventListener('abort', stopListening);
      process.once('SIGINT', () => process.exit(130));
      resolve(signal);
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    done?.addEventListener('abort', stopListening, { once: true });
  });
}
