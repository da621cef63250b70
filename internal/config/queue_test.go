package config

import (
	"strings"
	"testing"
	"time"
)

func TestQueueConfig(t *testing.T) {
	load := func(t *testing.T, env map[string]string) (*Config, error) {
		t.Helper()
		env["VOLTRUN_DATA_DIR"] = t.TempDir()
		return Load(nil, envOf(env))
	}
	c, err := load(t, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if q := c.Queue; q.URL != "" || q.Listen != (NATSListen{}) || q.Prefix != "voltrun" || q.Concurrency != 8 || q.AckWait != 30*time.Second {
		t.Fatalf("defaults %+v", q)
	}

	valid := []struct {
		name string
		env  map[string]string
		want Queue
	}{
		{
			"external",
			map[string]string{"VOLTRUN_NATS_URL": "nats://a:4222,nats://b:4222", "VOLTRUN_NATS_CREDS": "/etc/n.creds"},
			Queue{URL: "nats://a:4222,nats://b:4222", CredsFile: "/etc/n.creds"},
		},
		{
			"loopback listen",
			map[string]string{"VOLTRUN_NATS_LISTEN": "127.0.0.1:4222"},
			Queue{Listen: NATSListen{Addr: "127.0.0.1:4222"}},
		},
		{
			"user listen",
			map[string]string{"VOLTRUN_NATS_LISTEN": "nats://vr:s%40cret@0.0.0.0:4222"},
			Queue{Listen: NATSListen{Addr: "0.0.0.0:4222", User: "vr", Password: "s@cret"}},
		},
		{
			"token listen",
			map[string]string{"VOLTRUN_NATS_LISTEN": "nats://t0ken@:4222"},
			Queue{Listen: NATSListen{Addr: ":4222", Token: "t0ken"}},
		},
		{
			"worker settings",
			map[string]string{"VOLTRUN_ASYNC_CONCURRENCY": "0", "VOLTRUN_ASYNC_ACK_WAIT": "2m", "VOLTRUN_NATS_PREFIX": "prod-eu_1"},
			Queue{Prefix: "prod-eu_1", AckWait: 2 * time.Minute},
		},
	}
	for _, v := range valid {
		t.Run(v.name, func(t *testing.T) {
			c, err := load(t, v.env)
			if err != nil {
				t.Fatal(err)
			}
			want := v.want
			if want.Prefix == "" {
				want.Prefix = "voltrun"
			}
			if want.AckWait == 0 {
				want.AckWait = 30 * time.Second
			}
			if _, set := v.env["VOLTRUN_ASYNC_CONCURRENCY"]; !set {
				want.Concurrency = 8
			}
			if c.Queue != want {
				t.Fatalf("got %+v, want %+v", c.Queue, want)
			}
		})
	}

	invalid := map[string]struct{ key, val string }{
		"url scheme":       {"VOLTRUN_NATS_URL", "http://nats:4222"},
		"creds alone":      {"VOLTRUN_NATS_CREDS", "/etc/n.creds"},
		"prefix":           {"VOLTRUN_NATS_PREFIX", "Voltrun.x"},
		"open listen":      {"VOLTRUN_NATS_LISTEN", "0.0.0.0:4222"},
		"listen port":      {"VOLTRUN_NATS_LISTEN", "127.0.0.1:99999"},
		"listen scheme":    {"VOLTRUN_NATS_LISTEN", "http://u:p@0.0.0.0:4222"},
		"concurrency":      {"VOLTRUN_ASYNC_CONCURRENCY", "-1"},
		"ack wait":         {"VOLTRUN_ASYNC_ACK_WAIT", "10ms"},
		"ack wait garbage": {"VOLTRUN_ASYNC_ACK_WAIT", "soon"},
	}
	for name, c := range invalid {
		t.Run(name, func(t *testing.T) {
			_, err := load(t, map[string]string{c.key: c.val})
			if err == nil || !strings.Contains(err.Error(), c.key) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v, want one line naming %s", err, c.key)
			}
		})
	}
	t.Run("listen with url", func(t *testing.T) {
		_, err := load(t, map[string]string{"VOLTRUN_NATS_URL": "nats://a:4222", "VOLTRUN_NATS_LISTEN": "127.0.0.1:4222"})
		if err == nil || !strings.Contains(err.Error(), "VOLTRUN_NATS_LISTEN") {
			t.Fatalf("error %v", err)
		}
	})
}
