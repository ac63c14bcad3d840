/** Why an import (or the preparation of the database) stopped; nothing was changed. */
export class PgliteImportError extends Error {
  override name = "PgliteImportError";
}
