/**
 * Setup file of the integration project only (after file-setup.ts): accounts the fixtures and
 * sign-ups create are hashed at a lower scrypt cost (N=2^10 instead of 2^15, as
 * `PASSWORD_SCRYPT_N=1024` sets for a test server: ~300 hashes were ~50 of the PostgreSQL pass's
 * ~280 CPU-seconds). The unit tests keep the production cost and check it.
 */
import { configurePasswordHashing } from "@/server/domain/auth/password";

configurePasswordHashing({ N: 2 ** 10 });
