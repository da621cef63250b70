"use client";

import { Monitor, Moon, Sun } from "lucide-react";
import { Segmented } from "@/components/ui/tabs";
import { type ThemeChoice, useTheme } from "@/lib/theme";

export function ThemeToggle({ size = "sm" }: { size?: "sm" | "md" }) {
  const { choice, setChoice } = useTheme();
  return (
    <Segmented<ThemeChoice>
      label="Colour theme"
      size={size}
      value={choice}
      onChange={setChoice}
      options={[
        {
          value: "light",
          label: (
            <>
              <Sun className="size-3.5" aria-hidden />
              <span className="sr-only">Light</span>
            </>
          ),
        },
        {
          value: "dark",
          label: (
            <>
              <Moon className="size-3.5" aria-hidden />
              <span className="sr-only">Dark</span>
            </>
          ),
        },
        {
          value: "system",
          label: (
            <>
              <Monitor className="size-3.5" aria-hidden />
              <span className="sr-only">System</span>
            </>
          ),
        },
      ]}
    />
  );
}
