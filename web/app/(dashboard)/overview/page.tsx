import { Suspense } from "react";
import { OverviewPage } from "./overview-page";

export const metadata = { title: "Overview" };

// ?range= and ?function= keep the view in the address, so it can be shared.
export default function Page() {
  return (
    <Suspense>
      <OverviewPage />
    </Suspense>
  );
}
