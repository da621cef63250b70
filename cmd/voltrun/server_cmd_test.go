package main

import "testing"

func TestServerProcs(t *testing.T) {
	for _, tc := range []struct{ configured, available, want int }{
		{0, 1, 1},
		{0, 2, 2}, // one would serialise the server on two CPUs
		{0, 4, 2},
		{0, 3, 2},
		{0, 16, 8},
		{3, 2, 3}, // configured: taken as given
	} {
		if got := serverProcs(tc.configured, tc.available); got != tc.want {
			t.Errorf("serverProcs(%d, %d) = %d, want %d", tc.configured, tc.available, got, tc.want)
		}
	}
}
