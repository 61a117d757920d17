// Every call into libc and into the start-up layer (core/native/startup.c), in one place.
// The programs are linked statically, so these resolve at link time (DirectPInvoke). Calls
// that take pointers are wrapped in core/Sys.cs, core/Files.cs and core/Net.cs, which take
// spans instead, so that programs need no unsafe code.
//
// Linux x86-64 only: the constants below are x86-64's, struct stat's layout is x86-64's (arm64
// has another), and startup.c makes x86-64 system calls directly; core/Toolkit.csproj refuses
// to build for any other target.
using System.Runtime.InteropServices;

namespace Toolkit;

public static unsafe class Native
{
    const string C = "libc";
    const string L = "toolkit";

    // start-up layer
    [DllImport(L)] public static extern int tk_argc();
    [DllImport(L)] public static extern byte** tk_argv();
    [DllImport(L)] public static extern byte** tk_environ();
    [DllImport(L)] public static extern int tk_limit_get(int resource, ulong* soft, ulong* hard);
    [DllImport(L)] public static extern int tk_limit_set_soft(int resource, ulong soft);
    [DllImport(L)] public static extern int tk_exec(byte* file, byte** argv, byte** envp, byte* path);
    [DllImport(L)] public static extern int tk_spawn(SpawnRequest* request, int* execError);
    [DllImport(L)] public static extern int tk_spawn_exit(int code);
    [DllImport(L)] public static extern int tk_spawn_start(SpawnRequest* request, nint* block);
    [DllImport(L)] public static extern int tk_spawn_finish(nint block, int ended, int* execError);
    [DllImport(L)] public static extern int tk_selfpipe();
    [DllImport(L, SetLastError = true)] public static extern int tk_signal_catch(int sig);
    [DllImport(L, SetLastError = true)] public static extern int tk_signal_set(int sig, int ignore);
    [DllImport(L)] public static extern int tk_signal_unblock(int sig);
    [DllImport(L)] public static extern int tk_signal_ignored(int sig);

    // zlib's deflate, through the shim System.IO.Compression uses (core/Gzip.cs); the runtime
    // links the shim and zlib into every NativeAOT executable, the linker keeps what is called.
    const string Z = "libSystem.IO.Compression.Native";
    [DllImport(Z)] public static extern int CompressionNative_DeflateInit2_(ZStream* stream, int level, int method, int windowBits, int memLevel, int strategy);
    [DllImport(Z)] public static extern int CompressionNative_Deflate(ZStream* stream, int flush);
    [DllImport(Z)] public static extern int CompressionNative_DeflateEnd(ZStream* stream);

    /// <summary>The shim's PAL_ZStream: the buffers of one call; zlib's z_stream is its own.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ZStream
    {
        public byte* NextIn, NextOut;
        public byte* Msg;
        public void* InternalState;
        public uint AvailIn, AvailOut;
    }

    public const int Z_NO_FLUSH = 0, Z_FINISH = 4, Z_OK = 0, Z_STREAM_END = 1, Z_BUF_ERROR = -5,
        Z_DEFLATED = 8, Z_DEFAULT_STRATEGY = 0;

    [StructLayout(LayoutKind.Sequential)]
    public struct SpawnRequest
    {
        public byte* File;
        public byte** Argv;
        public byte** Envp;
        public byte* Path;
        public FdAction* FdActions;
        public int FdActionCount;
        public byte* Dir;
        public int NewSession;
        public ulong DefaultSignals;
    }

    // files and descriptors
    [DllImport(C)] public static extern nuint getauxval(nuint type);
    [DllImport(C, SetLastError = true)] public static extern int open(byte* path, int flags, int mode);
    [DllImport(C, SetLastError = true)] public static extern int close(int fd);
    [DllImport(C, SetLastError = true)] public static extern int setenv(byte* name, byte* value, int overwrite);
    [DllImport(C, SetLastError = true)] public static extern int unsetenv(byte* name);
    [DllImport(C, SetLastError = true)] public static extern nint read(int fd, byte* buf, nint n);
    [DllImport(C, SetLastError = true)] public static extern nint write(int fd, byte* buf, nint n);
    [DllImport(C, SetLastError = true)] public static extern int pipe2(int* fds, int flags);
    [DllImport(C, SetLastError = true)] public static extern int dup(int fd);
    [DllImport(C, SetLastError = true)] public static extern int dup2(int from, int to);
    [DllImport(C, SetLastError = true)] public static extern int fcntl(int fd, int cmd, int arg);
    [DllImport(C, SetLastError = true)] public static extern int flock(int fd, int op);
    [DllImport(C, SetLastError = true)] public static extern int fsync(int fd);
    [DllImport(C, SetLastError = true)] public static extern int ioctl(int fd, ulong request, int* arg);
    [DllImport(C, SetLastError = true)] public static extern int chdir(byte* path);
    [DllImport(C, SetLastError = true)] public static extern int fchdir(int fd);
    [DllImport(C, SetLastError = true)] public static extern nint opendir(byte* path);
    [DllImport(C, SetLastError = true)] public static extern byte* readdir(nint dir);
    [DllImport(C, SetLastError = true)] public static extern int closedir(nint dir);
    [DllImport(C, SetLastError = true)] public static extern int poll(PollFd* fds, ulong n, int timeout);

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd { public int Fd; public short Events; public short Revents; }

    // processes and accounts
    [DllImport(C, EntryPoint = "_exit")] public static extern void _exit(int code);
    [DllImport(C, SetLastError = true)] public static extern int setsid();
    [DllImport(C, SetLastError = true)] public static extern int setgroups(nuint n, uint* groups);
    [DllImport(C, SetLastError = true)] public static extern int setgid(uint gid);
    [DllImport(C, SetLastError = true)] public static extern int setuid(uint uid);
    [DllImport(C, SetLastError = true)] public static extern int waitpid(int pid, int* status, int options);
    [DllImport(C, SetLastError = true)] public static extern int getrlimit(int resource, ulong* limits);

    // time
    [DllImport(C, SetLastError = true)] public static extern int clock_gettime(int clock, TimeSpec* ts);
    [DllImport(C, SetLastError = true)] public static extern void* localtime_r(long* t, Tm* tm);

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec { public long Sec; public long Nsec; }

    [StructLayout(LayoutKind.Sequential)]
    public struct Tm
    {
        public int Sec, Min, Hour, Mday, Mon, Year, Wday, Yday, Isdst;
        public long Gmtoff;
        public byte* Zone;
    }

    // Linux x86-64 constants
    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_TRUNC = 0x200,
        O_APPEND = 0x400, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    public const int F_SETFD = 2, FD_CLOEXEC = 1;
    public const ulong FIONREAD = 0x541b;
    public const int LOCK_EX = 2, LOCK_NB = 4;
    public const int WNOHANG = 1;
    public const nuint AT_EXECFN = 31;
    public const short POLLIN = 1;
    public const int CLOCK_REALTIME = 0;

    public const int RLIMIT_CPU = 0, RLIMIT_FSIZE = 1, RLIMIT_DATA = 2, RLIMIT_STACK = 3, RLIMIT_CORE = 4,
        RLIMIT_RSS = 5, RLIMIT_NPROC = 6, RLIMIT_NOFILE = 7, RLIMIT_MEMLOCK = 8, RLIMIT_AS = 9;

    public const int SIGHUP = 1, SIGINT = 2, SIGKILL = 9, SIGPIPE = 13, SIGALRM = 14, SIGTERM = 15,
        SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19;
    /// <summary>Signals are numbered 1 to 31 (x86-64 Linux); core/Signals.cs names them.</summary>
    public const int SIGLAST = 31;

    // ucspi-tcp: sockets (core/Net.cs, core/Dns.cs, core/Ident.cs)
    [DllImport(C, SetLastError = true)] public static extern int socket(int domain, int type, int protocol);
    [DllImport(C, SetLastError = true)] public static extern int bind(int fd, byte* addr, int len);
    [DllImport(C, SetLastError = true)] public static extern int listen(int fd, int backlog);
    [DllImport(C, SetLastError = true)] public static extern int accept4(int fd, byte* addr, int* len, int flags);
    [DllImport(C, SetLastError = true)] public static extern int connect(int fd, byte* addr, int len);
    [DllImport(C, SetLastError = true)] public static extern int getsockname(int fd, byte* addr, int* len);
    [DllImport(C, SetLastError = true)] public static extern int getpeername(int fd, byte* addr, int* len);
    [DllImport(C, SetLastError = true)] public static extern int setsockopt(int fd, int level, int name, void* value, int len);
    [DllImport(C, SetLastError = true)] public static extern int getsockopt(int fd, int level, int name, void* value, int* len);
    [DllImport(C, SetLastError = true)] public static extern nint send(int fd, byte* buf, nint n, int flags);
    [DllImport(C, SetLastError = true)] public static extern nint recv(int fd, byte* buf, nint n, int flags);
    [DllImport(C, SetLastError = true)] public static extern int shutdown(int fd, int how);
    [DllImport(C)] public static extern int getpid();
    [DllImport(C, SetLastError = true)] public static extern int gethostname(byte* name, nint len);
    [DllImport(C)] public static extern uint if_nametoindex(byte* name);
    [DllImport(C)] public static extern byte* if_indextoname(uint index, byte* name);
    public const int AF_INET = 2, AF_INET6 = 10, SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_NONBLOCK = 0x800,
        SOCK_CLOEXEC = 0x80000, SOL_SOCKET = 1, SO_REUSEADDR = 2, SO_ERROR = 4, IPPROTO_IP = 0, IP_OPTIONS = 4,
        IPPROTO_TCP = 6, TCP_NODELAY = 1, MSG_PEEK = 2, MSG_DONTWAIT = 0x40, MSG_NOSIGNAL = 0x4000, SHUT_WR = 1, IPPROTO_IPV6 = 41, IPV6_V6ONLY = 26;
    public const short POLLOUT = 4, POLLERR = 8, POLLHUP = 0x10, POLLNVAL = 0x20;
    public const int EINPROGRESS = 115, ETIMEDOUT = 110, ECONNREFUSED = 111, EPROTO = 71, EIO = 5;

    public static int Errno => Marshal.GetLastPInvokeError();

    // qmail
    [DllImport(C, SetLastError = true)] public static extern int chown(byte* path, uint uid, uint gid);

    // files and directories (supervision, multilog, cdb)
    [DllImport(C, SetLastError = true)] public static extern int mkdir(byte* path, int mode);
    [DllImport(C, SetLastError = true)] public static extern int mkfifo(byte* path, int mode);
    [DllImport(C, SetLastError = true)] public static extern int rename(byte* from, byte* to);
    [DllImport(C, SetLastError = true)] public static extern int link(byte* from, byte* to);
    [DllImport(C, SetLastError = true)] public static extern int unlink(byte* path);
    [DllImport(C, SetLastError = true)] public static extern int chmod(byte* path, int mode);
    [DllImport(C, SetLastError = true)] public static extern int fchmod(int fd, int mode);
    [DllImport(C)] public static extern int umask(int mask);
    [DllImport(C, SetLastError = true)] public static extern nint readlink(byte* path, byte* buf, nint size);
    [DllImport(C, SetLastError = true)] public static extern int stat(byte* path, Stat* st);
    [DllImport(C, SetLastError = true)] public static extern long lseek(int fd, long offset, int whence);
    [DllImport(C, SetLastError = true)] public static extern int fstatfs(int fd, StatFs* st);
    [DllImport(C, SetLastError = true)] public static extern nint pread(int fd, byte* buf, nint n, long offset);
    [DllImport(C, SetLastError = true)] public static extern int kill(int pid, int sig);
    [DllImport(C, SetLastError = true)] public static extern int siginterrupt(int sig, int flag);
    [DllImport(C, SetLastError = true)] public static extern int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);
    public const int PR_SET_DUMPABLE = 4;
    [DllImport(C, SetLastError = true)] public static extern int pidfd_open(int pid, uint flags);

    /// <summary>struct stat on Linux x86-64 (only the fields used; the size is the kernel's).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 144)]
    public struct Stat
    {
        [FieldOffset(0)] public ulong Dev;
        [FieldOffset(8)] public ulong Ino;
        [FieldOffset(16)] public ulong Nlink;
        [FieldOffset(24)] public uint Mode;
        [FieldOffset(48)] public long Size;
        /// <summary>st_mtim's seconds: the time of the last write.</summary>
        [FieldOffset(88)] public long Mtime;
        public readonly bool IsDirectory => (Mode & S_IFMT) == S_IFDIR;
        public readonly bool IsFifo => (Mode & S_IFMT) == S_IFIFO;
    }

    /// <summary>struct statfs on Linux x86-64 (only the fields used).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 120)]
    public struct StatFs
    {
        [FieldOffset(8)] public long Bsize;
        [FieldOffset(32)] public ulong Bavail;
    }

    public const int S_IFMT = 0xf000, S_IFDIR = 0x4000, S_IFIFO = 0x1000;
    public const int ENOENT = 2, EINTR = 4, ENXIO = 6, EAGAIN = 11, ENOMEM = 12, EEXIST = 17, EINVAL = 22, ESPIPE = 29;
    public const int CLOCK_MONOTONIC = 1, CLOCK_BOOTTIME = 7, F_SETFL = 4, F_DUPFD_CLOEXEC = 1030;
    public const int SEEK_SET = 0, SEEK_END = 2;
}
