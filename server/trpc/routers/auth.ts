import { signUp } from "@/server/domain/auth/sign-up";
import { ZSignUpInput } from "@/server/domain/auth/schemas";
import { publicProcedure, router } from "../init";

export const authRouter = router({
  /** Creates an account and its own workspace; the client then signs in with next-auth. */
  signUp: publicProcedure.input(ZSignUpInput).mutation(({ ctx, input }) => signUp(ctx.db, input)),
  me: publicProcedure.query(({ ctx }) => ctx.user),
});
