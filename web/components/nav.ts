import { FunctionSquare, KeyRound, type LucideIcon } from "lucide-react";

export interface NavItem {
  href: string;
  label: string;
  icon: LucideIcon;
}

// The sidebar's sections. Overview (charts), live logs, versions and usage
// join this list as their APIs land.
export const NAV: NavItem[] = [
  { href: "/functions/", label: "Functions", icon: FunctionSquare },
  { href: "/keys/", label: "API keys", icon: KeyRound },
];
