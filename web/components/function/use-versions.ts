"use client";

import { useCallback, useEffect, useState } from "react";
import { type Alias, ApiError, type Version } from "@/lib/api";
import { useAuth } from "@/lib/auth";

/** A function's versions (newest first) and aliases (by name), loaded
 * together; reload() after any change. */
export function useVersions(fnId: string) {
  const { api } = useAuth();
  const [versions, setVersions] = useState<Version[] | null>(null);
  const [aliases, setAliases] = useState<Alias[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const reload = useCallback(async () => {
    if (!fnId) return;
    try {
      const [v, a] = await Promise.all([api.listVersions(fnId), api.listAliases(fnId)]);
      setVersions([...v.items].sort((x, y) => y.version - x.version));
      setAliases([...a.items].sort((x, y) => x.name.localeCompare(y.name)));
      setError(null);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, "internal", (e as Error).message));
    }
  }, [api, fnId]);

  useEffect(() => {
    setVersions(null);
    setAliases(null);
    void reload();
  }, [reload]);

  return { versions, aliases, error, reload };
}
