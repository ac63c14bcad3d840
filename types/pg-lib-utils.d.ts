/** node-postgres's value mapping (`pg/lib/utils.js`), used by `pg-statement-group.ts`. */
declare module "pg/lib/utils.js" {
  /** A JavaScript value as node-postgres binds it: text, a buffer, or null. */
  export function prepareValue(value: unknown): string | Buffer | null;
  const utils: { prepareValue: typeof prepareValue };
  export default utils;
}
