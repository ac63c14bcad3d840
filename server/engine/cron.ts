/**
 * Cron expressions for the scheduler: the compiler's parser (`dsl/cron.ts`, croner underneath),
 * so a schedule the editor accepts is exactly a schedule the scheduler fires, at the times the
 * editor shows.
 */
export { CronError, parseCron, type Cron } from "@/dsl";
