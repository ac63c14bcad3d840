/** Every failure of the embedded PostgreSQL, with a message saying what to do. */
export class EmbeddedPostgresError extends Error {
  override name = "EmbeddedPostgresError";
}
