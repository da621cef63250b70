import { CreateFunction } from "./create-function";

export const metadata = { title: "Create function" };

export default function Page() {
  return <CreateFunction />;
}
