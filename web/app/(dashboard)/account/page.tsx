import { AccountPage } from "./account-page";

export const metadata = { title: "Account" };

export default function Page() {
  return <AccountPage />;
}
