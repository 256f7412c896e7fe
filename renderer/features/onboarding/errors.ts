/** The sentence to show for a failed call: the core's own (ApiError.message), else the error's message. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
