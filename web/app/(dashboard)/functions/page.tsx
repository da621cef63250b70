import { FunctionsList } from "./functions-list";

export const metadata = { title: "Functions" };

export default function Page() {
  return <FunctionsList />;
}
