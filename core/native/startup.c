/*
 * The part of every toolkit program that must be C (see README, "The start-up layer").
 *
 * main() runs before the .NET runtime. It records what the program was started with
 * (resource limits, signal mask, ignored signals, argv) and lifts the soft limits the
 * runtime needs to start at all: under `softlimit -m N` the runtime's first thread could
 * never get a stack. Managed code then sees the recorded limits as the "real" ones:
 * softlimit edits them, and every exec or child start below applies them exactly.
 * It also spares the runtime start-up work these programs do not need (cgroup probing,
 * an early finalizer thread, reading /proc/self/maps): that halves their start-up time.
 *
 * The rest are the process operations that managed code cannot do safely in a
 * multi-threaded runtime: execve with the original state restored, and fork+exec of a
 * child with chosen descriptors, signals, limits, directory and session.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

extern char **environ;
extern int __managed__Main(int argc, char **argv);

/* Limits are recorded when first needed: only lift() and softlimit (tk_limit_set_soft) ever
   change one, so a limit not yet recorded is still the one the program started with.
   `limits_changed` marks those where the process's own limit and the recorded one differ:
   only they are set again before an exec (a few system calls instead of 48 at every start). */
static struct rlimit saved_limits[RLIM_NLIMITS];
static unsigned limits_recorded, limits_changed;
static sigset_t saved_mask;
static unsigned char saved_ignored[NSIG];
static int saved_argc;
static char **saved_argv;
static pthread_t main_thread;

static void record(int resource)
{
  if (limits_recorded & 1u << resource) return;
  if (getrlimit(resource, &saved_limits[resource]) == -1) {
    saved_limits[resource].rlim_cur = RLIM_INFINITY;
    saved_limits[resource].rlim_max = RLIM_INFINITY;
  }
  limits_recorded |= 1u << resource;
}

/* Raise the soft limit of one resource to at least `want` (never above the hard limit). */
static void lift(int resource, rlim_t want)
{
  struct rlimit r;
  record(resource);
  r = saved_limits[resource];
  if (r.rlim_cur == RLIM_INFINITY) return;
  if (want != RLIM_INFINITY && r.rlim_cur >= want) return;
  if (r.rlim_max != RLIM_INFINITY && (want == RLIM_INFINITY || want > r.rlim_max)) want = r.rlim_max;
  if (want == r.rlim_cur) return;
  r.rlim_cur = want;
  if (setrlimit(resource, &r) == 0) limits_changed |= 1u << resource;
}

int main(int argc, char **argv)
{
  int i;
  struct sigaction sa;

  saved_argc = argc;
  saved_argv = argv;
  sigprocmask(SIG_SETMASK, 0, &saved_mask);
  for (i = 1; i < NSIG; ++i)
    if (sigaction(i, 0, &sa) == 0 && sa.sa_handler == SIG_IGN) saved_ignored[i] = 1;

  lift(RLIMIT_AS, RLIM_INFINITY);
  lift(RLIMIT_DATA, RLIM_INFINITY);
  lift(RLIMIT_STACK, 8 << 20);
  lift(RLIMIT_NPROC, RLIM_INFINITY);
  lift(RLIMIT_NOFILE, 64);
  main_thread = pthread_self();
  return __managed__Main(argc, argv);
}

/* Three pieces of the runtime's start-up that these programs do not need, each removed by
   wrapping the call behind it (the link uses --wrap, see Command.csproj).

   1. The runtime looks for cgroup CPU and memory limits to size its GC and thread pool,
   reading /proc/self/mountinfo twice and then half a dozen cgroup files. Our heap limit
   is fixed at build time and there is no thread pool: the runtime is told there are no
   cgroup mounts, which it learns from that one file. */
FILE *__real_fopen64(const char *path, const char *mode);
FILE *__wrap_fopen64(const char *path, const char *mode)
{
  if (strcmp(path, "/proc/self/mountinfo") == 0) { errno = ENOENT; return 0; }
  return __real_fopen64(path, mode);
}

/* 2. The runtime starts a finalizer thread before Main. A second thread is what makes a
   short program slow here: from then on every mapping change the runtime makes must be
   made known to the other processor (an interrupt each, and exit must stop the thread),
   about 0.35 ms per start measured on a 2-processor virtual machine, more than the whole
   C program. None of these programs relies on finalizers, so the thread is started when
   the runtime first has work for it: when the GC signals finalization (every path to
   that goes through RhEnableFinalization) or code waits for pending finalizers. */
typedef unsigned (*finalizer_callback)(void *);
static finalizer_callback finalizer_start;
static void *finalizer_context;
static int finalizer_deferred;

_Bool __real_PalStartFinalizerThread(finalizer_callback callback, void *context);
_Bool __wrap_PalStartFinalizerThread(finalizer_callback callback, void *context)
{
  finalizer_start = callback;
  finalizer_context = context;
  __atomic_store_n(&finalizer_deferred, 1, __ATOMIC_RELEASE);
  return 1;
}

static void start_finalizer(void)
{
  if (__atomic_exchange_n(&finalizer_deferred, 0, __ATOMIC_ACQ_REL))
    __real_PalStartFinalizerThread(finalizer_start, finalizer_context);
}

void __real__Z20RhEnableFinalizationv(void);
void __wrap__Z20RhEnableFinalizationv(void)
{
  start_finalizer();
  __real__Z20RhEnableFinalizationv();
}

void __real_RhWaitForPendingFinalizers(int allow_reentrant_wait);
void __wrap_RhWaitForPendingFinalizers(int allow_reentrant_wait)
{
  start_finalizer();
  __real_RhWaitForPendingFinalizers(allow_reentrant_wait);
}

/* 3. glibc finds the main thread's stack by reading /proc/self/maps line by line with sscanf.
   The same answer follows from two facts of Linux's exec: the stack mapping ends just
   above the program's file name (AT_EXECFN), and glibc reports the stack from the page
   above __libc_stack_end down to RLIMIT_STACK below the mapping's end. A very large or
   unlimited stack limit is capped by the mapping below in glibc's answer: that case, and
   every other thread, goes to glibc. */
extern void *__libc_stack_end;
int __real_pthread_getattr_np(pthread_t thread, pthread_attr_t *attr);
int __wrap_pthread_getattr_np(pthread_t thread, pthread_attr_t *attr)
{
  const char *execfn = (const char *)getauxval(AT_EXECFN);
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), mapping_end, top;
  struct rlimit r;

  if (thread != main_thread || !execfn || getrlimit(RLIMIT_STACK, &r) == -1 || r.rlim_cur > 1ul << 30)
    return __real_pthread_getattr_np(thread, attr);
  mapping_end = ((uintptr_t)execfn + strlen(execfn) + 1 + page - 1) & -page;
  top = ((uintptr_t)__libc_stack_end & -page) + page;
  if (mapping_end < top || r.rlim_cur <= mapping_end - top)
    return __real_pthread_getattr_np(thread, attr);
  r.rlim_cur = (r.rlim_cur - (mapping_end - top)) & -page;
  pthread_attr_init(attr);
  pthread_attr_setguardsize(attr, 0);
  return pthread_attr_setstack(attr, (void *)(top - r.rlim_cur), r.rlim_cur);
}

int tk_argc(void) { return saved_argc; }
char **tk_argv(void) { return saved_argv; }
char **tk_environ(void) { return environ; }

/* The limits as the program was started with them (or as softlimit changed them). */
int tk_limit_get(int resource, unsigned long long *soft, unsigned long long *hard)
{
  if (resource < 0 || resource >= RLIM_NLIMITS) return -1;
  record(resource);
  *soft = saved_limits[resource].rlim_cur;
  *hard = saved_limits[resource].rlim_max;
  return 0;
}

int tk_limit_set_soft(int resource, unsigned long long soft)
{
  if (resource < 0 || resource >= RLIM_NLIMITS) return -1;
  record(resource);
  saved_limits[resource].rlim_cur = soft;
  limits_changed |= 1u << resource;
  return 0;
}

static void apply_limits(void)
{
  int i;
  for (i = 0; i < RLIM_NLIMITS; ++i)
    if (limits_changed & 1u << i) setrlimit(i, &saved_limits[i]);
}

/* System calls made directly, without glibc's wrappers, for a child that runs in the
   parent's memory (tk_spawn): a wrapper that fails writes errno, which is the parent's.
   Each returns the result or minus the error number. x86-64 only, as the build is. */
static long sys3(long n, long a, long b, long c)
{
  long r;
  __asm__ volatile ("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}

static long sys4(long n, long a, long b, long c, long d)
{
  long r;
  register long r10 __asm__("r10") = d;
  __asm__ volatile ("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
  return r;
}

/* djb's pathexec_run: a name with '/' is executed as is, otherwise each PATH element is
   tried; the search goes on past ENOENT, EACCES, EPERM and EISDIR and reports the last
   error that was not ENOENT. Returns that error number. Uses only a stack buffer and direct
   system calls: it also runs in children sharing the parent's memory. */
static int path_exec(const char *file, char *const argv[], char *const envp[], const char *path)
{
  char buf[4096];
  int saved = 0, err;
  size_t flen = strlen(file);

  if (strchr(file, '/')) return (int)-sys3(SYS_execve, (long)file, (long)argv, (long)envp);
  if (!path) path = "/bin:/usr/bin";
  for (;;) {
    const char *colon = strchr(path, ':');
    size_t dlen = colon ? (size_t)(colon - path) : strlen(path);
    size_t n = 0;
    if (dlen == 0) buf[n++] = '.';
    if (dlen + flen + 3 > sizeof buf) err = ENAMETOOLONG;
    else {
      memcpy(buf + n, path, dlen); n += dlen;
      buf[n++] = '/';
      memcpy(buf + n, file, flen + 1);
      err = (int)-sys3(SYS_execve, (long)buf, (long)argv, (long)envp);
    }
    if (err != ENOENT) {
      saved = err;
      if (err != EACCES && err != EPERM && err != EISDIR) return saved;
    }
    if (!colon) return saved ? saved : err;
    path = colon + 1;
  }
}

/* Replace this process with `file`, with the limits, signal mask and ignored signals the
   program started with. On failure everything the runtime relies on is put back and the
   error number is returned. */
int tk_exec(const char *file, char *const argv[], char *const envp[], const char *path)
{
  static struct sigaction old[NSIG];
  struct rlimit lifted[RLIM_NLIMITS];
  struct sigaction sa;
  sigset_t runtime_mask;
  int i, err;

  for (i = 0; i < RLIM_NLIMITS; ++i)
    if (limits_changed & 1u << i) getrlimit(i, &lifted[i]);
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  for (i = 1; i < NSIG; ++i) {
    if (i == SIGKILL || i == SIGSTOP) continue;
    sa.sa_handler = saved_ignored[i] ? SIG_IGN : SIG_DFL;
    sigaction(i, &sa, &old[i]);
  }
  pthread_sigmask(SIG_SETMASK, &saved_mask, &runtime_mask);
  apply_limits();

  err = path_exec(file, argv, envp, path);

  for (i = 0; i < RLIM_NLIMITS; ++i)
    if (limits_changed & 1u << i) setrlimit(i, &lifted[i]);
  pthread_sigmask(SIG_SETMASK, &runtime_mask, 0);
  for (i = 1; i < NSIG; ++i)
    if (i != SIGKILL && i != SIGSTOP) sigaction(i, &old[i], 0);
  return err;
}

/* Descriptor actions applied in the child, in order (like posix_spawn's file actions); the
   layout of core/FdAction.cs. */
enum { TK_FD_DUP2 = 1, TK_FD_CLOSE = 2, TK_FD_DUP = 3 };
struct tk_fd_action {
  int op;                   /* DUP2 fd->target, CLOSE fd, DUP fd (lowest free) target times */
  int fd;
  int target;
};

struct tk_spawn {
  const char *file;         /* program; searched in `path` unless it contains '/' */
  char *const *argv;
  char *const *envp;
  const char *path;         /* PATH for the search (0: /bin:/usr/bin) */
  const struct tk_fd_action *fd_actions;
  int fd_action_count;
  const char *dir;          /* chdir in the child, or 0 */
  int new_session;          /* setsid() in the child */
  unsigned long long default_signals; /* signals (bit n-1 for signal n) that are default even
                               if this program was started ignoring them */
};

/* What a child is started from: a copy of the request (argv, environment, strings and
   descriptor actions) and the child's stack, in one mapping that stays until the child has
   run its program or exited. The child tells how exec went through this shared memory, not
   a descriptor: a server starting many children at once needs no descriptor per child. */
struct spawn_block {
  size_t size;
  int busy;                 /* 1 until the child has run its program or exited: the kernel
                               clears it then (CLONE_CHILD_CLEARTID), as it does for a thread */
  int error;                /* why exec failed, written by the child before it exits 111 */
  struct tk_spawn s;
};

enum { SPAWN_STACK = 64 << 10 };

static void child_report(struct spawn_block *b, int err)
{
  __atomic_store_n(&b->error, err, __ATOMIC_RELEASE);
  sys3(SYS_exit, 111, 0, 0);
}

/* The child: every signal blocked (from the parent) until the handlers are reset, then the
   descriptors, directory, session and limits asked for, then exec. As a C program's forked
   child, it has the signal state the program started with (see tk_signal_catch and
   tk_signal_unblock for what the program changed). It shares the
   parent's memory and runs beside it, so it writes only its stack and block and uses direct
   system calls. */
static int child_main(void *arg)
{
  struct spawn_block *b = arg;
  const struct tk_spawn *s = &b->s;
  struct { void *handler; unsigned long flags; void *restorer; unsigned long mask; } sa = { 0, 0, 0, 0 };
  unsigned long mask;
  long r;
  int i, j;

  /* 32 and 33 are glibc's own (thread cancellation, setuid for all threads): its sigaction
     refuses them, so they stay as inherited, as in the C programs. */
  for (i = 1; i < NSIG; ++i) {
    if (i == SIGKILL || i == SIGSTOP || i == 32 || i == 33) continue;
    sa.handler = (saved_ignored[i] && !(s->default_signals >> (i - 1) & 1)) ? SIG_IGN : SIG_DFL;
    sys4(SYS_rt_sigaction, i, (long)&sa, 0, 8);
  }
  for (i = 0; i < s->fd_action_count; ++i) {
    const struct tk_fd_action *a = s->fd_actions + i;
    r = 0;
    switch (a->op) {
      case TK_FD_DUP2:
        if (a->fd == a->target) sys3(SYS_fcntl, a->fd, F_SETFD, 0);
        else r = sys3(SYS_dup2, a->fd, a->target, 0);
        break;
      case TK_FD_CLOSE: sys3(SYS_close, a->fd, 0, 0); break;
      case TK_FD_DUP:
        for (j = 0; j < a->target && r >= 0; ++j) r = sys3(SYS_dup, a->fd, 0, 0);
        break;
    }
    if (r < 0) child_report(b, (int)-r);
  }
  if (s->dir && (r = sys3(SYS_chdir, (long)s->dir, 0, 0)) < 0) child_report(b, (int)r);
  if (s->new_session) sys3(SYS_setsid, 0, 0, 0);
  for (i = 0; i < RLIM_NLIMITS; ++i)
    if (limits_changed & 1u << i) sys4(SYS_prlimit64, 0, i, (long)&saved_limits[i], 0);
  memcpy(&mask, &saved_mask, sizeof mask);
  sys4(SYS_rt_sigprocmask, SIG_SETMASK, (long)&mask, 0, 8);
  child_report(b, path_exec(s->file, s->argv, s->envp, s->path));
  return 111;
}

static char *copy_bytes(char **to, const void *from, size_t n)
{
  char *at = *to;
  memcpy(at, from, n);
  *to += (n + 7) & ~(size_t)7;
  return at;
}

static size_t strings_size(char *const *v, size_t *count)
{
  size_t n = 0, i;
  for (i = 0; v[i]; ++i) n += (strlen(v[i]) + 8) & ~(size_t)7;
  *count = i;
  return n + (i + 1) * sizeof(char *);
}

static char **copy_strings(char **to, char *const *v, size_t count)
{
  char **copy = (char **)*to;
  size_t i;
  *to += (count + 1) * sizeof(char *);
  for (i = 0; i < count; ++i) copy[i] = copy_bytes(to, v[i], strlen(v[i]) + 1);
  copy[count] = 0;
  return copy;
}

/* The child is cloned into the parent's memory (nothing to copy, unlike fork, which copied
   the runtime's page tables at every connection tcpserver accepts). With `wait` the parent
   is held until the child has run its program or exited, as by vfork; without it the parent
   goes on meanwhile (with vfork tcpserver waited for each program to be loaded). */
static int spawn(const struct tk_spawn *s, int wait, struct spawn_block **block)
{
  size_t argc, envc, size, flen = strlen(s->file) + 1;
  size_t plen = s->path ? strlen(s->path) + 1 : 0, dlen = s->dir ? strlen(s->dir) + 1 : 0;
  size_t alen = (size_t)s->fd_action_count * sizeof *s->fd_actions;
  struct spawn_block *b;
  sigset_t all, old;
  int err;
  char *at;
  pid_t pid;

  size = sizeof *b + strings_size(s->argv, &argc) + strings_size(s->envp, &envc)
    + flen + plen + dlen + alen + 4 * 8 + SPAWN_STACK;
  b = mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (b == MAP_FAILED) return -errno;
  b->size = size;
  b->busy = 1;
  b->error = 0;
  b->s = *s;
  at = (char *)(b + 1);
  b->s.argv = copy_strings(&at, s->argv, argc);
  b->s.envp = copy_strings(&at, s->envp, envc);
  b->s.file = copy_bytes(&at, s->file, flen);
  b->s.path = s->path ? copy_bytes(&at, s->path, plen) : 0;
  b->s.dir = s->dir ? copy_bytes(&at, s->dir, dlen) : 0;
  b->s.fd_actions = alen ? (const struct tk_fd_action *)copy_bytes(&at, s->fd_actions, alen) : 0;

  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid = clone(child_main, (char *)b + size, CLONE_VM | SIGCHLD | (wait ? CLONE_VFORK : CLONE_CHILD_CLEARTID),
    b, 0, 0, &b->busy);
  err = errno;
  pthread_sigmask(SIG_SETMASK, &old, 0);
  if (pid == -1) { munmap(b, size); return -err; }
  *block = b;
  return pid;
}

/* Start a child without waiting for it to run its program. Returns its pid, or -errno if it
   could not be created; then tk_spawn_finish(*block) tells when it has. */
int tk_spawn_start(const struct tk_spawn *s, void **block)
{
  return spawn(s, 0, (struct spawn_block **)block);
}

/* Once the child of tk_spawn_start has run its program or exited (or, `ended`, has been
   waited for: the kernel leaves `busy` alone when a process dumps core), frees its block,
   sets *exec_error to the exec's error number (0 if the program runs) and returns 1.
   Returns 0 while the child is still starting. */
int tk_spawn_finish(void *block, int ended, int *exec_error)
{
  struct spawn_block *b = block;
  if (!ended && __atomic_load_n(&b->busy, __ATOMIC_ACQUIRE)) return 0;
  *exec_error = __atomic_load_n(&b->error, __ATOMIC_ACQUIRE);
  munmap(b, b->size);
  return 1;
}

/* Start a child and wait until it has run its program. Returns its pid, or -errno if it
   could not be created. If exec fails the child exits 111 and *exec_error is set to the
   error number (0 when exec succeeded), or to minus the error number when it could not
   enter s->dir. */
int tk_spawn(const struct tk_spawn *s, int *exec_error)
{
  struct spawn_block *b;
  int pid = spawn(s, 1, &b);

  *exec_error = 0;
  if (pid < 0) return pid;
  tk_spawn_finish(b, 1, exec_error);
  return pid;
}

/* A child that only exits with `code`, without exec: tcpserver's stand-in for a connection it
   denied or dropped, so that the log has the C version's pid and "end" lines. Signals are
   blocked across vfork as across clone in tk_spawn_start; the child calls nothing but _exit. */
int tk_spawn_exit(int code)
{
  sigset_t all, old;
  pid_t pid;
  int err = 0;

  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid = vfork();
  if (pid == 0) _exit(code);
  if (pid == -1) err = errno;
  pthread_sigmask(SIG_SETMASK, &old, 0);
  return pid == -1 ? -err : pid;
}

/* Signals are delivered to managed code through a pipe (djb's selfpipe): the handler
   only writes the signal number, the program's loop reads it when it is ready. */
static int selfpipe[2] = { -1, -1 };

static void on_signal(int sig)
{
  int e = errno;
  unsigned char c = (unsigned char)sig;
  (void)!write(selfpipe[1], &c, 1);
  errno = e;
}

int tk_selfpipe(void)
{
  if (selfpipe[0] == -1 && pipe2(selfpipe, O_CLOEXEC | O_NONBLOCK) == -1) return -1;
  return selfpipe[0];
}

/* A caught signal is default in a program run later (exec resets it), as in C: it no longer
   counts as one this program was started ignoring. */
int tk_signal_catch(int sig)
{
  struct sigaction sa;
  if (tk_selfpipe() == -1) return -1;
  saved_ignored[sig] = 0;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART | (sig == SIGCHLD ? SA_NOCLDSTOP : 0);
  sigemptyset(&sa.sa_mask);
  return sigaction(sig, &sa, 0);
}

/* Whether a program run later gets sig ignored (it was ignored when this program started and
   has not been caught since): svscan leaves such a signal alone, so that its supervises still
   get it ignored, as from djb's svscan. */
int tk_signal_ignored(int sig)
{
  return sig > 0 && sig < NSIG && saved_ignored[sig];
}

/* djb's sig_unblock: tcpserver and supervise must see their children's ends, multilog its TERM
   and ALRM, even when started with them blocked. Children inherit the mask without it, as in
   the C programs. */
int tk_signal_unblock(int sig)
{
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigdelset(&saved_mask, sig);
  return pthread_sigmask(SIG_UNBLOCK, &set, 0);
}

int tk_signal_set(int sig, int ignore)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = ignore ? SIG_IGN : SIG_DFL;
  sigemptyset(&sa.sa_mask);
  return sigaction(sig, &sa, 0);
}
