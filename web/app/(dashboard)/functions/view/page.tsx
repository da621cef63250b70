import { Suspense } from "react";
import { FunctionView } from "./function-view";

export const metadata = { title: "Function" };

// The id travels as ?id= so one exported page serves every function.
export default function Page() {
  return (
    <Suspense>
      <FunctionView />
    </Suspense>
  );
}
