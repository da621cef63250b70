import { KeysPage } from "./keys-page";

export const metadata = { title: "API keys" };

export default function Page() {
  return <KeysPage />;
}
