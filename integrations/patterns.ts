/**
 * The value patterns of `domain/plan.ts` (slug and versionString), repeated on purpose: adapters
 * that turn values into argv elements, file paths or runtime API commands re-check them themselves.
 */
export const SLUG_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
