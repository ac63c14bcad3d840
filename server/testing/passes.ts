/**
 * `npm test` runs the integration files in two passes: on PostgreSQL (TEST_DB=postgres) and on
 * PGlite. A file that does not depend on the test database (the embedded server, the CLI with its
 * own PGlite, the Python sandbox) runs once, in the PGlite pass: `describe.skipIf(inPostgresPass)`.
 * scripts/test.mjs finds the files that import this module and gives them to the PGlite pass, which
 * otherwise takes only the files about PGlite when a PostgreSQL server is there.
 */
export const inPostgresPass = process.env.TEST_DB === "postgres";
