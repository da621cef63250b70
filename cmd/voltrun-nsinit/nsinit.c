// voltrun-nsinit starts every linuxns sandbox and is PID 1 of each.
//
// Run as "voltrun-sandbox-spawner" by the server, with a SOCK_SEQPACKET
// socket on fd 3, it is the spawner: for each request (nsinit.SpawnRequest,
// with the sandbox's descriptors attached) it clones a child in new user,
// PID, mount, network, IPC and UTS namespaces, as the server's child
// (CLONE_PARENT), maps its ids, and answers with its pid. The child does
// not execute anything: it is the sandbox's init. It reads its
// configuration on fd 5 (nsinit.Config), joins the instance's cgroups,
// builds and enters the sandbox's root filesystem, locks the process down,
// starts the runtime as an unprivileged user, then reaps orphans until the
// runtime exits and exits with the runtime's status (128+signal for a
// signal), which takes the whole namespace down with it.
//
// It is C, built static, because it is on the path of every cold start: a
// Go init spent ~4 ms starting its runtime, and a Go spawner's fork and an
// init's exec another ~3 ms, before any of the work.
//
// The init's descriptors: 0 is /dev/null, 1 and 2 the sandbox's stdout and
// stderr, 3 the requests and 4 the responses (handed to the runtime), 5
// the configuration, 6 the detached read-only mount of the code directory
// when there is one. A failure is reported as an init-error frame on fd 4
// (internal/runtime's protocol: a big-endian u32 length, 'X', the UTF-8
// message).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum { STDOUT_FD = 1, STDERR_FD = 2, REQUESTS_FD = 3, RESPONSES_FD = 4, CONFIG_FD = 5, CODE_FD = 6 };

// The configuration's wire version (nsinit.configVersion).
#define CONFIG_VERSION 1
#define MAX_CONFIG (4u << 20)

// Identities inside the sandbox (mapped to the host's uid base + id).
#define SANDBOX_ID 1000 // runs the interpreter and the user's code
#define INIT_ID 65534   // the init drops to this after starting the runtime

// The new root is assembled here, inside this process's private mount
// namespace, before pivot_root: a mount over the host's /tmp is invisible
// to the host.
#define STAGING "/tmp"

#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

static void fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

// The protocols' integers are big-endian u32s.
static uint32_t get_be32(const unsigned char *b) {
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void put_be32(char *b, uint32_t v) {
	b[0] = (char)(v >> 24);
	b[1] = (char)(v >> 16);
	b[2] = (char)(v >> 8);
	b[3] = (char)v;
}

// write_text writes text to the existing file at path in one write.
static int write_text(const char *path, const char *text) {
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) return -1;
	ssize_t n = write(fd, text, strlen(text));
	int saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

// fail reports the message as an init-error frame, in one write as the
// protocol requires, and exits.
static void fail(const char *fmt, ...) {
	char frame[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(frame + 5, sizeof frame - 5, fmt, ap);
	va_end(ap);
	if (n < 0) n = 0;
	if ((size_t)n > sizeof frame - 6) n = sizeof frame - 6;
	put_be32(frame, (uint32_t)n);
	frame[4] = 'X';
	ssize_t w = write(RESPONSES_FD, frame, (size_t)n + 5);
	(void)w;
	_exit(1);
}

// ---- configuration ----

struct reader {
	const unsigned char *p;
	size_t n;
};

static uint32_t get_u32(struct reader *r) {
	if (r->n < 4) fail("decode init config: truncated");
	uint32_t v = get_be32(r->p);
	r->p += 4;
	r->n -= 4;
	return v;
}

// get_bytes returns the next length-prefixed field, NUL-terminated (file
// contents and the filter may hold NULs: len says how long). It stays in
// the configuration's buffer, moved back over its own length, which has
// been read, to make room for the NUL.
static char *get_bytes(struct reader *r, size_t *len) {
	uint32_t n = get_u32(r);
	if (n > r->n) fail("decode init config: field of %u bytes past the end", n);
	char *s = (char *)r->p - 4;
	memmove(s, r->p, n);
	s[n] = 0;
	r->p += n;
	r->n -= n;
	if (len != NULL) *len = n;
	return s;
}

// get_str is get_bytes for a string, which must hold no NUL.
static char *get_str(struct reader *r) {
	size_t n;
	char *s = get_bytes(r, &n);
	if (strlen(s) != n) fail("decode init config: NUL in a string");
	return s;
}

// get_strs reads a count, then that many strings, into a NULL-terminated
// array.
static char **get_strs(struct reader *r) {
	uint32_t n = get_u32(r);
	if (n > r->n / 4) fail("decode init config: list of %u past the end", n);
	char **v = calloc((size_t)n + 1, sizeof *v);
	if (v == NULL) fail("decode init config: out of memory");
	for (uint32_t i = 0; i < n; i++) v[i] = get_str(r);
	return v;
}

// get_pairs is get_strs for a list of pairs, which must be even.
static char **get_pairs(struct reader *r) {
	struct reader peek = *r;
	if (get_u32(&peek) % 2 != 0) fail("decode init config: a list of pairs has an odd length");
	return get_strs(r);
}

struct file {
	char *path; // relative to the new root
	uint32_t mode;
	char *body;
	size_t len;
};

struct config {
	char **cgroup_tasks; // v1 "tasks" files to write "0" to
	char *hostname;
	char *tmp_options; // the mount options of /tmp
	uint32_t code_dir;  // fd 6 is the code directory
	char **dirs;        // to create in the new root, in order
	char **binds;       // pairs: host path, path in the new root (read-only binds)
	char **links;       // pairs: target, path in the new root
	struct file *files;
	uint32_t nfiles;
	char *seccomp;
	size_t seccomp_len;
	char *path; // the runtime's executable
	char **argv;
	char **envp;
	void *buf; // holds the fields above; unmapped once the runtime started
};

// read_config reads and decodes the whole configuration. Its buffer is a
// mapping of its own, only as large in memory as what was read, and
// unmapped once the runtime started: every idle instance keeps its init.
static struct config read_config(void) {
	unsigned char *b = mmap(NULL, MAX_CONFIG + 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (b == MAP_FAILED) fail("read init config: %s", strerror(errno));
	size_t len = 0;
	for (;;) {
		ssize_t n = read(CONFIG_FD, b + len, MAX_CONFIG + 1 - len);
		if (n < 0 && errno == EINTR) continue;
		if (n < 0) fail("read init config: %s", strerror(errno));
		if (n == 0) break;
		len += (size_t)n;
		if (len > MAX_CONFIG) fail("read init config: over %u bytes", MAX_CONFIG);
	}
	close(CONFIG_FD);
	struct reader r = {b, len};
	struct config c = {.buf = b};
	if (get_u32(&r) != CONFIG_VERSION) fail("decode init config: unknown version");
	c.cgroup_tasks = get_strs(&r);
	c.hostname = get_str(&r);
	c.tmp_options = get_str(&r);
	c.code_dir = get_u32(&r);
	c.dirs = get_strs(&r);
	c.binds = get_pairs(&r);
	c.links = get_pairs(&r);
	c.nfiles = get_u32(&r);
	if (c.nfiles > r.n / 12) fail("decode init config: %u files past the end", c.nfiles);
	c.files = calloc(c.nfiles + 1, sizeof *c.files);
	if (c.files == NULL) fail("decode init config: out of memory");
	for (uint32_t i = 0; i < c.nfiles; i++) {
		c.files[i].path = get_str(&r);
		c.files[i].mode = get_u32(&r);
		c.files[i].body = get_bytes(&r, &c.files[i].len);
	}
	c.seccomp = get_bytes(&r, &c.seccomp_len);
	c.path = get_str(&r);
	c.argv = get_strs(&r);
	c.envp = get_strs(&r);
	if (r.n != 0) fail("decode init config: %zu bytes left over", r.n);
	if (c.argv[0] == NULL) fail("decode init config: no argv");
	return c;
}

// ---- the root filesystem ----

// in_root writes STAGING/rel into the caller's buffer and returns it.
static const char *in_root(char *buf, size_t size, const char *rel) {
	if ((size_t)snprintf(buf, size, "%s/%s", STAGING, rel) >= size) fail("path too long: %s", rel);
	return buf;
}

static void mount_or_fail(const char *src, const char *dst, const char *type, unsigned long flags, const char *data, const char *what) {
	if (mount(src, dst, type, flags, data) != 0) fail("%s: %s", what, strerror(errno));
}

// bind_read_only bind-mounts src on dst read-only, nosuid, nodev. In a user
// namespace a remount must keep the flags the source mount has locked
// (noexec, atime), so those are carried over.
static void bind_read_only(const char *src, const char *dst) {
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) != 0) fail("bind %s: %s", dst, strerror(errno));
	struct statfs st;
	if (statfs(dst, &st) != 0) fail("statfs %s: %s", dst, strerror(errno));
	unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV;
	if (st.f_flags & ST_NOEXEC) flags |= MS_NOEXEC;
	if (st.f_flags & ST_NOATIME) flags |= MS_NOATIME;
	if (st.f_flags & ST_NODIRATIME) flags |= MS_NODIRATIME;
	if (st.f_flags & ST_RELATIME) flags |= MS_RELATIME;
	if (mount(NULL, dst, NULL, flags, NULL) != 0) fail("remount %s read-only: %s", dst, strerror(errno));
}

static void write_file(const char *path, const char *body, size_t len, mode_t mode) {
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) fail("write %s: %s", path, strerror(errno));
	while (len > 0) {
		ssize_t n = write(fd, body, len);
		if (n < 0 && errno == EINTR) continue;
		if (n < 0) fail("write %s: %s", path, strerror(errno));
		body += n;
		len -= (size_t)n;
	}
	if (close(fd) != 0) fail("write %s: %s", path, strerror(errno));
}

// build_dev makes a tmpfs /dev with only null, zero, random and urandom
// (bind mounts of the host nodes: creating device nodes is not allowed in
// a user namespace) and the usual links. stdio are pipes, not ttys.
static void build_dev(void) {
	char p[256];
	mount_or_fail("tmpfs", STAGING "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,nr_inodes=64,mode=0755", "mount /dev");
	static const char *const nodes[] = {"null", "zero", "random", "urandom"};
	for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++) {
		snprintf(p, sizeof p, STAGING "/dev/%s", nodes[i]);
		write_file(p, "", 0, 0666);
		char host[64];
		snprintf(host, sizeof host, "/dev/%s", nodes[i]);
		if (mount(host, p, NULL, MS_BIND, NULL) != 0) fail("bind /dev/%s: %s", nodes[i], strerror(errno));
	}
	static const char *const links[][2] = {
		{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
	};
	for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
		snprintf(p, sizeof p, STAGING "/dev/%s", links[i][1]);
		if (symlink(links[i][0], p) != 0) fail("link /dev/%s: %s", links[i][1], strerror(errno));
	}
}

static int exists(const char *path) {
	struct stat st;
	return lstat(path, &st) == 0;
}

// mask_proc hides /proc files that leak host information or offer kernel
// knobs (the list runc and Docker mask), and makes the kernel-tunable trees
// read-only. Paths missing on this kernel are skipped.
static void mask_proc(void) {
	static const char *const files[] = {"kcore", "keys", "timer_list", "sched_debug", "latency_stats", "timer_stats",
	                                    "sysrq-trigger", "kallsyms", "kpagecount", "kpageflags", "kpagecgroup", "config.gz"};
	static const char *const hidden[] = {"acpi", "scsi", "asound", "driver"};
	static const char *const read_only[] = {"sys", "bus", "fs", "irq"};
	char p[256];
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		snprintf(p, sizeof p, STAGING "/proc/%s", files[i]);
		if (exists(p) && mount(STAGING "/dev/null", p, NULL, MS_BIND, NULL) != 0) fail("mask /proc/%s: %s", files[i], strerror(errno));
	}
	for (size_t i = 0; i < sizeof hidden / sizeof *hidden; i++) {
		snprintf(p, sizeof p, STAGING "/proc/%s", hidden[i]);
		if (exists(p) && mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") != 0)
			fail("mask /proc/%s: %s", hidden[i], strerror(errno));
	}
	for (size_t i = 0; i < sizeof read_only / sizeof *read_only; i++) {
		snprintf(p, sizeof p, STAGING "/proc/%s", read_only[i]);
		if (!exists(p)) continue;
		if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) != 0) fail("bind /proc/%s: %s", read_only[i], strerror(errno));
		if (mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
			fail("remount /proc/%s read-only: %s", read_only[i], strerror(errno));
	}
}

// build_root assembles and enters the sandbox's root filesystem: a small
// read-only tmpfs holding read-only binds of /usr, the code and the
// bootstraps, a synthesized /etc, a minimal /dev, a size-limited /tmp and
// a fresh, partly masked /proc. The host's /etc, /home, /var, /root and
// every other path simply do not exist inside. What varies with the host
// and the instance (binds, links, files) the host decides.
static void build_root(const struct config *c) {
	char p[4096];
	mount_or_fail(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL, "make / private");
	mount_or_fail("tmpfs", STAGING, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,nr_inodes=4096,mode=0755", "mount root tmpfs");
	for (char **d = c->dirs; *d != NULL; d++) {
		if (mkdir(in_root(p, sizeof p, *d), 0755) != 0) fail("create %s: %s", *d, strerror(errno));
	}
	for (char **b = c->binds; *b != NULL; b += 2) bind_read_only(b[0], in_root(p, sizeof p, b[1]));
	for (char **l = c->links; *l != NULL; l += 2) {
		if (symlink(l[0], in_root(p, sizeof p, l[1])) != 0) fail("link %s: %s", l[1], strerror(errno));
	}
	if (c->code_dir && syscall(SYS_move_mount, CODE_FD, "", AT_FDCWD, STAGING "/var/task", MOVE_MOUNT_F_EMPTY_PATH) != 0)
		fail("attach code dir: %s", strerror(errno));
	for (uint32_t i = 0; i < c->nfiles; i++) {
		const struct file *f = &c->files[i];
		write_file(in_root(p, sizeof p, f->path), f->body, f->len, (mode_t)f->mode);
	}
	build_dev();
	mount_or_fail("tmpfs", STAGING "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, c->tmp_options, "mount /tmp");
	// hidepid=2: the user's processes cannot see the init (another uid).
	mount_or_fail("proc", STAGING "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2", "mount /proc");
	mask_proc();

	// Make the staging root the root and drop every host mount:
	// pivot_root(".", ".") stacks the old root under the new one, and the
	// detach removes it without needing a directory to park it in.
	if (chdir(STAGING) != 0) fail("enter new root: %s", strerror(errno));
	if (syscall(SYS_pivot_root, ".", ".") != 0) fail("pivot_root: %s", strerror(errno));
	if (umount2(".", MNT_DETACH) != 0) fail("detach old root: %s", strerror(errno));
	if (chdir("/") != 0) fail("chdir /: %s", strerror(errno));
	unsigned long ro = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID;
	mount_or_fail(NULL, "/dev", NULL, ro | MS_NOEXEC, NULL, "remount /dev read-only");
	mount_or_fail(NULL, "/", NULL, ro | MS_NODEV, NULL, "remount / read-only");
}

// ---- lock-down ----

// drop_bounding_set empties the capability bounding set and the ambient
// set, so nothing exec'd from here can gain a capability.
static void drop_bounding_set(void) {
	for (unsigned long cap = 0; cap <= 63; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
			if (errno == EINVAL) break; // past the kernel's last capability
			fail("drop capability %lu from the bounding set: %s", cap, strerror(errno));
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) fail("clear ambient capabilities: %s", strerror(errno));
}

// load_seccomp sets no_new_privs and installs the filter (a struct
// sock_filter array in native byte order, seccompfilter.Program); the
// runtime inherits both.
static void load_seccomp(const char *prog, size_t len) {
	if (len == 0 || len % sizeof(struct sock_filter) != 0 || len / sizeof(struct sock_filter) > BPF_MAXINSNS)
		fail("install seccomp filter: malformed program of %zu bytes", len);
	struct sock_fprog fprog = {.len = (unsigned short)(len / sizeof(struct sock_filter)), .filter = (struct sock_filter *)prog};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("set no_new_privs: %s", strerror(errno));
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) fail("install seccomp filter: %s", strerror(errno));
}

// ---- the runtime ----

// start_runtime forks the runtime as the sandbox user in /var/task, with
// /dev/null as stdin and only fds 0-4, and returns its pid once its exec
// succeeded.
static pid_t start_runtime(const struct config *c) {
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0) fail("open /dev/null: %s", strerror(errno));
	int status[2]; // the child's errno if it fails before or at exec
	if (pipe2(status, O_CLOEXEC) != 0) fail("start %s: pipe: %s", c->path, strerror(errno));
	pid_t self = getpid();
	pid_t pid = fork();
	if (pid < 0) fail("start %s: fork: %s", c->path, strerror(errno));
	if (pid == 0) {
		// Leaving uid 0 clears the permitted and effective capabilities;
		// the empty bounding set and no_new_privs keep them from coming
		// back through exec. The parent-death signal is set after the
		// credentials, whose change would clear it.
		int err = 0;
		if (setgroups(0, NULL) != 0 || setresgid(SANDBOX_ID, SANDBOX_ID, SANDBOX_ID) != 0 ||
		    setresuid(SANDBOX_ID, SANDBOX_ID, SANDBOX_ID) != 0 || prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
			err = errno;
		} else if (getppid() != self) {
			_exit(1); // the init is already gone
		} else if (chdir("/var/task") != 0 || dup2(devnull, 0) != 0) {
			err = errno;
		} else {
			execve(c->path, c->argv, c->envp);
			err = errno;
		}
		ssize_t w = write(status[1], &err, sizeof err);
		(void)w;
		_exit(127);
	}
	close(status[1]);
	int err = 0;
	ssize_t n;
	do {
		n = read(status[0], &err, sizeof err);
	} while (n < 0 && errno == EINTR);
	if (n > 0) fail("start %s: %s", c->path, strerror(err));
	close(status[0]);
	close(devnull);
	return pid;
}

// reap waits for every child, orphans included, until the runtime is gone,
// and returns how it ended: its exit status, or 128+signal.
static int reap(pid_t runtime) {
	for (;;) {
		int st;
		pid_t pid = wait4(-1, &st, 0, NULL);
		if (pid < 0 && errno == EINTR) continue;
		if (pid < 0) return 125;
		if (pid == runtime && WIFEXITED(st)) return WEXITSTATUS(st);
		if (pid == runtime && WIFSIGNALED(st)) return 128 + WTERMSIG(st);
	}
}

// run_init is the sandbox's init, in the child the spawner cloned, with its
// descriptors in place; it returns the init's exit status.
static int run_init(void) {
	umask(022);
	// The sandbox is batch work to the host's scheduler, inherited by all
	// it starts: a sandbox woken by a request does not preempt the server
	// that just wrote it, which would switch away mid-call and back. The
	// seccomp filter keeps functions from switching back.
	struct sched_param param = {0};
	if (sched_setscheduler(0, SCHED_BATCH, &param) != 0) fail("set the batch scheduling policy: %s", strerror(errno));
	struct config c = read_config();
	// Join the instance's cgroups (v1; v2 started us inside) before
	// anything else, and root a cgroup namespace there to hide the host's
	// cgroup paths.
	for (char **t = c.cgroup_tasks; *t != NULL; t++) {
		if (write_text(*t, "0") != 0) fail("join cgroup: %s: %s", *t, strerror(errno));
	}
	if (unshare(CLONE_NEWCGROUP) != 0) fail("unshare cgroup namespace: %s", strerror(errno));
	build_root(&c);
	if (c.code_dir) close(CODE_FD);
	if (sethostname(c.hostname, strlen(c.hostname)) != 0) fail("set hostname: %s", strerror(errno));
	drop_bounding_set();
	load_seccomp(c.seccomp, c.seccomp_len);
	pid_t runtime = start_runtime(&c);
	munmap(c.buf, MAX_CONFIG + 1);
	// Only the runtime may hold the protocol descriptors: when it dies the
	// host sees EOF.
	close(REQUESTS_FD);
	close(RESPONSES_FD);
	// A different uid from the runtime's, without capabilities: user code
	// can neither signal nor inspect its init.
	if (setgroups(0, NULL) != 0 || setresgid(INIT_ID, INIT_ID, INIT_ID) != 0 || setresuid(INIT_ID, INIT_ID, INIT_ID) != 0) {
		kill(runtime, SIGKILL);
		return 125;
	}
	return reap(runtime);
}

// ---- the spawner ----

#define SPAWNER_ARG0 "voltrun-sandbox-spawner"
#define SOCKET_FD 3
#define MAX_SPAWN_FDS 7 // nsinit.MaxSpawnFDs
#define ID_MAP_SIZE 65536
enum { SPAWN_CODE_DIR = 1, SPAWN_CGROUP_FD = 2 }; // nsinit.SpawnRequest's flags

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

struct clone_args_v2 { // the kernel's struct clone_args, up to its cgroup
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

#define INIT_ARG0 "voltrun-sandbox-init"
_Static_assert(sizeof INIT_ARG0 <= sizeof SPAWNER_ARG0, "an init renames itself within the spawner's argv[0]");

static int dev_null; // every init's stdin
static char *arg0;   // the spawner's argv[0], which each init renames

// init_child runs in the cloned child: it waits until the spawner has
// mapped its ids, takes uid and gid 0 of its user namespace, puts the
// sandbox's descriptors in place (0 /dev/null, then those the host sent)
// and closes every other, then runs the init.
static void init_child(int sync, const int *fds, int nfds) {
	// Named apart from the spawner it was cloned from, in ps and in
	// /proc/<pid>/cmdline (the name is shorter: it fits argv[0]).
	memset(arg0, 0, strlen(arg0));
	memcpy(arg0, INIT_ARG0, strlen(INIT_ARG0));
	prctl(PR_SET_NAME, "voltrun-init", 0, 0, 0);
	char c;
	ssize_t n;
	do {
		n = read(sync, &c, 1);
	} while (n < 0 && errno == EINTR);
	if (n != 1) _exit(1); // the spawner could not map the ids
	int src[1 + MAX_SPAWN_FDS];
	src[0] = dev_null;
	for (int i = 0; i < nfds; i++) src[1 + i] = fds[i];
	// Everything above the targets first, so that no dup2 below
	// overwrites a descriptor still to be moved.
	for (int i = 0; i <= nfds; i++) {
		if ((src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 1 + MAX_SPAWN_FDS)) < 0) _exit(1);
	}
	for (int i = 0; i <= nfds; i++) {
		if (dup2(src[i], i) != i) _exit(1);
	}
	if (syscall(SYS_close_range, 1 + nfds, ~0U, 0) != 0) fail("close descriptors: %s", strerror(errno));
	// Dropping the host root's supplementary groups matters: they would
	// otherwise follow it into the sandbox as an unmapped but effective
	// gid 0. The parent-death signal follows the server's spawning thread
	// (CLONE_PARENT); it is set after the credentials, whose change would
	// clear it. (Whether the server died before it was set cannot be
	// asked from a new PID namespace, where the parent's pid reads 0; an
	// init left so finds its pipes' other ends closed and exits.)
	if (setgroups(0, NULL) != 0 || setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0)
		fail("become root of the sandbox: %s", strerror(errno));
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) fail("set parent-death signal: %s", strerror(errno));
	if (chdir("/") != 0) fail("chdir /: %s", strerror(errno));
	_exit(run_init());
}

static int write_proc(pid_t pid, const char *file, const char *text) {
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	return write_text(path, text);
}

// spawn starts one init and returns its pid, or 0 with why in err.
static pid_t spawn(uint32_t uid_base, uint32_t flags, const int *fds, int nfds, char *err, size_t errlen) {
	int want = 5 + !!(flags & SPAWN_CODE_DIR) + !!(flags & SPAWN_CGROUP_FD);
	if (nfds != want) {
		snprintf(err, errlen, "spawn request has %d descriptors, want %d", nfds, want);
		return 0;
	}
	// With CLONE_PARENT the child's exit signal is the spawner's own
	// (SIGCHLD, to the server): clone3 requires exit_signal 0.
	struct clone_args_v2 args = {
		.flags = CLONE_PARENT | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS,
	};
	if (flags & SPAWN_CGROUP_FD) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)fds[nfds - 1];
		nfds--;
	}
	int sync[2];
	if (pipe2(sync, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "start sandbox init: pipe: %s", strerror(errno));
		return 0;
	}
	pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
	if (pid == 0) {
		close(sync[1]);
		init_child(sync[0], fds, nfds);
	}
	close(sync[0]);
	if (pid < 0) {
		snprintf(err, errlen, "start sandbox init: clone: %s", strerror(errno));
		close(sync[1]);
		return 0;
	}
	char map[64];
	snprintf(map, sizeof map, "0 %u %u\n", uid_base, ID_MAP_SIZE);
	if (write_proc(pid, "uid_map", map) != 0 || write_proc(pid, "gid_map", map) != 0 || write(sync[1], "1", 1) != 1) {
		snprintf(err, errlen, "start sandbox init: map ids: %s", strerror(errno));
		// The child is the server's (CLONE_PARENT), which is not told its
		// pid, so it stays the server's zombie until the server exits. The
		// same maps are written for every init: a host that refuses them
		// once refuses them always, so this is not one sandbox in many.
		kill(pid, SIGKILL);
		close(sync[1]);
		return 0;
	}
	close(sync[1]);
	return pid;
}

// run_spawner serves spawn requests on fd 3 until the server closes it.
// A request is a big-endian u32 uid base and u32 flags, with the
// descriptors attached in nsinit.SpawnRequest's order; the answer a
// big-endian i32 pid, or 0 followed by why.
static int run_spawner(void) {
	// Executed from a memory file, its name would be the descriptor's.
	prctl(PR_SET_NAME, "voltrun-spawner", 0, 0, 0);
	dev_null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (dev_null < 0 || fcntl(SOCKET_FD, F_SETFD, FD_CLOEXEC) != 0) {
		perror("voltrun sandbox spawner");
		return 1;
	}
	for (;;) {
		unsigned char req[8];
		union {
			char buf[CMSG_SPACE(MAX_SPAWN_FDS * sizeof(int))];
			struct cmsghdr align;
		} control;
		struct iovec iov = {req, sizeof req};
		struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
		ssize_t n = recvmsg(SOCKET_FD, &msg, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR) continue;
		if (n < 0) {
			perror("voltrun sandbox spawner");
			return 1;
		}
		if (n == 0) return 0; // the server closed its end
		int fds[MAX_SPAWN_FDS], nfds = 0;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
			int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			for (int i = 0; i < k; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
				if (nfds < MAX_SPAWN_FDS) fds[nfds++] = fd;
				else close(fd);
			}
		}
		char reply[512] = {0};
		pid_t pid = 0;
		if (n != sizeof req || (msg.msg_flags & MSG_CTRUNC)) {
			snprintf(reply + 4, sizeof reply - 4, "malformed spawn request");
		} else {
			pid = spawn(get_be32(req), get_be32(req + 4), fds, nfds, reply + 4, sizeof reply - 4);
		}
		for (int i = 0; i < nfds; i++) close(fds[i]);
		put_be32(reply, (uint32_t)pid);
		size_t len = pid > 0 ? 4 : 4 + strlen(reply + 4);
		if (send(SOCKET_FD, reply, len, MSG_NOSIGNAL) < 0) return 1;
	}
}

int main(int argc, char **argv) {
	if (argc >= 1 && strcmp(argv[0], SPAWNER_ARG0) == 0) {
		arg0 = argv[0];
		return run_spawner();
	}
	fprintf(stderr, "voltrun-nsinit is started by the VoltRun server; it is not run by hand\n");
	return 2;
}
