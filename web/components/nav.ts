import { FunctionSquare, KeyRound, LayoutDashboard, type LucideIcon } from "lucide-react";

export interface NavItem {
  href: string;
  label: string;
  icon: LucideIcon;
}

// The sidebar's sections; Overview is where signing in lands.
export const NAV: NavItem[] = [
  { href: "/overview/", label: "Overview", icon: LayoutDashboard },
  { href: "/functions/", label: "Functions", icon: FunctionSquare },
  { href: "/keys/", label: "API keys", icon: KeyRound },
];
