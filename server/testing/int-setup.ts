/**
 * Setup file of the integration project only (after file-setup.ts): accounts the fixtures and
 * sign-ups create are hashed at a lower scrypt cost (N=2^10 instead of 2^15; see
 * `lowerHashCostForTests`). The unit tests keep the production cost and check it.
 */
import { lowerHashCostForTests } from "@/server/domain/auth/password";

lowerHashCostForTests(2 ** 10);
