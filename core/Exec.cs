// Running programs the djb way: pathexec (PATH search, environment changes) for the
// chain-loading tools, which replace themselves, and Spawn for programs that start
// children. Both go through the start-up layer so that the program run sees the limits,
// signal mask and signal dispositions it should (see core/native/startup.c).
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace Toolkit;

public static unsafe class Exec
{
    static List<byte[]> changes;

    /// <summary>djb's pathexec_env: queue NAME=VALUE for the next Run, or removal when value is null.</summary>
    public static void SetEnv(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, bool remove = false)
    {
        changes ??= new List<byte[]>();
        changes.Add(Change(name, value, remove));
    }

    /// <summary>One environment change: NAME=VALUE, or NAME alone for a removal.</summary>
    public static byte[] Change(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, bool remove = false)
    {
        var e = new byte[name.Length + (remove ? 0 : value.Length + 1)];
        name.CopyTo(e);
        if (!remove)
        {
            e[name.Length] = (byte)'=';
            value.CopyTo(e.AsSpan(name.Length + 1));
        }
        return e;
    }

    public static void UnsetEnv(ReadOnlySpan<byte> name) => SetEnv(name, default, remove: true);

    /// <summary>Sets (or with value null, removes) a variable in this process's own environment,
    /// as a library's getenv sees it; what a program is run with is set by Run and Spawn.</summary>
    public static void SetOwnEnv(ReadOnlySpan<byte> name, byte[] value)
    {
        fixed (byte* n = Args.Z(name))
        fixed (byte* v = value == null ? null : Args.Z(value))
            if (v == null) Native.unsetenv(n); else Native.setenv(n, v, 1);
    }

    /// <summary>Replaces the process with argv[0] (PATH from the original environment, as in
    /// djb's pathexec_run) and the queued environment changes, applied as pathexec does (see
    /// EnvBlock). file, if given, is run instead of argv[0], which is then only the name the
    /// program sees (argv0). Returns the error number only if that failed.</summary>
    public static int Run(byte[][] argv, byte[] file = null)
    {
        using var args = new CStrings(argv, null);
        using var env = new EnvBlock();
        if (changes != null) foreach (var change in changes) env.Apply(change);
        fixed (byte* zfile = file == null ? null : Args.Z(file))
            return Native.tk_exec(zfile != null ? zfile : args.Argv[0], args.Argv, env.Envp, Args.GetEnvZ("PATH"u8));
    }

    /// <summary>Starts a child running argv[0] (PATH searched as in Run) with env (null: this
    /// process's environment), fdActions applied in order in the child. The child gets the recorded
    /// limits, a new session if asked, and the signal state this program started with, as a C
    /// program's forked child (a signal caught since is default, one unblocked since is
    /// unblocked). file, if given, is run instead of argv[0] (argv[0]
    /// is then only the name the program sees). Returns the pid or -errno if the child could not
    /// be created; execError is the exec's error number (the child then exits 111), minus the
    /// error number if the child could not enter dir, or 0.</summary>
    public static int Spawn(byte[][] argv, List<byte[]> env, ReadOnlySpan<FdAction> fdActions, out int execError,
        byte[] dir = null, bool newSession = false, byte[] file = null)
    {
        using var block = new CStrings(argv, env);
        fixed (byte* zdir = dir == null ? null : Args.Z(dir))
        fixed (FdAction* actions = fdActions)
        fixed (byte* zfile = file == null ? null : Args.Z(file))
        {
            var request = Request(zfile != null ? zfile : block.Argv[0], block.Argv, block.Envp != null ? block.Envp : Native.tk_environ(),
                actions, fdActions.Length, 0);
            request.Dir = zdir;
            request.NewSession = newSession ? 1 : 0;
            int err;
            int child = Native.tk_spawn(&request, &err);
            execError = err;
            return child;
        }
    }

    /// <summary>A child started by SpawnStart that may still be loading its program.</summary>
    public struct Launch
    {
        public int Pid;
        public nint Block;
    }

    /// <summary>Spawn without waiting for the child to run its program (tcpserver goes on
    /// accepting meanwhile), from vectors of C strings the caller keeps (nothing is allocated
    /// here), the signals in defaultSignals (bit n-1 for signal n) default even if this program
    /// was started ignoring them. Returns the pid or -errno; Finish tells how it went.</summary>
    public static int SpawnStart(CStrings argv, EnvBlock env, ReadOnlySpan<FdAction> fdActions, ulong defaultSignals,
        out Launch launch)
    {
        fixed (FdAction* actions = fdActions)
        {
            var request = Request(argv.Argv[0], argv.Argv, env.Envp, actions, fdActions.Length, defaultSignals);
            nint block;
            int pid = Native.tk_spawn_start(&request, &block);
            launch = new Launch { Pid = pid, Block = pid >= 0 ? block : 0 };
            return pid;
        }
    }

    /// <summary>Whether a launched child has run its program or exited (or, ended, has been
    /// waited for): then true, with the exec's error number in execError (0 if the program
    /// runs), and the launch's memory freed.</summary>
    public static bool Finish(Launch launch, bool ended, out int execError)
    {
        int err = 0;
        bool done = Native.tk_spawn_finish(launch.Block, ended ? 1 : 0, &err) != 0;
        execError = err;
        return done;
    }

    static Native.SpawnRequest Request(byte* file, byte** argv, byte** envp, FdAction* actions, int actionCount, ulong defaultSignals) =>
        new()
        {
            File = file, Argv = argv, Envp = envp, Path = Args.GetEnvZ("PATH"u8),
            FdActions = actions, FdActionCount = actionCount, DefaultSignals = defaultSignals,
        };

    /// <summary>Waits for the child to end (retrying EINTR); its wait status, or -1 with errno.</summary>
    public static int WaitPid(int pid)
    {
        int status;
        while (Native.waitpid(pid, &status, 0) == -1)
            if (Native.Errno != Native.EINTR) return -1;
        return status;
    }

    /// <summary>djb's wait_nohang: a child that has ended (its pid, with its wait status), 0 if
    /// none has, -1 on error (no children).</summary>
    public static int WaitNoHang(out int status)
    {
        int w, pid;
        while ((pid = Native.waitpid(-1, &w, Native.WNOHANG)) == -1 && Native.Errno == Native.EINTR) { }
        status = w;
        return pid;
    }

    /// <summary>Ends this process as a child ended with wait status `status`: with its exit code, or
    /// killed by its signal, as if this process had been the child. Without a core dump: the
    /// child has dumped its own, which ours would replace.</summary>
    public static void ExitAs(int status)
    {
        if (status == -1) Errors.Exit(111);
        if (!WaitStatus.Crashed(status)) Errors.Exit(WaitStatus.ExitCode(status));
        int sig = WaitStatus.Signal(status);
        Native.prctl(Native.PR_SET_DUMPABLE, 0, 0, 0, 0);
        Native.tk_signal_set(sig, 0);
        Native.tk_signal_unblock(sig);
        Native.kill(Native.getpid(), sig);
        Errors.Exit(111); // only if the signal could not end this process
    }

    /// <summary>"PROG: fatal: unable to run NAME: ERR" and exit 111: what every chain tool does
    /// when the exec fails.</summary>
    public static void RunOrDie(ReadOnlySpan<byte> fatal, byte[][] argv)
    {
        int err = Run(argv);
        Errors.DieSys(111, err, fatal, "unable to run "u8, argv[0], ": "u8);
    }
}

/// <summary>djb's wait_crashed and wait_exitcode: what a wait status says.</summary>
public static class WaitStatus
{
    /// <summary>Killed by a signal (or stopped).</summary>
    public static bool Crashed(int status) => (status & 0x7f) != 0;
    public static int ExitCode(int status) => (status >> 8) & 0xff;
    public static int Signal(int status) => status & 0x7f;
}

/// <summary>Argument and environment vectors as zero-terminated C strings in unmanaged memory.</summary>
public sealed unsafe class CStrings : IDisposable
{
    public readonly byte** Argv;
    public readonly byte** Envp;
    readonly List<nint> blocks = new();

    public CStrings(IReadOnlyList<byte[]> argv, IReadOnlyList<byte[]> env)
    {
        Argv = argv == null ? null : Vector(argv);
        Envp = env == null ? null : Vector(env);
    }

    byte** Vector(IReadOnlyList<byte[]> items)
    {
        var v = (byte**)Alloc((items.Count + 1) * sizeof(byte*));
        for (int i = 0; i < items.Count; i++) v[i] = String(items[i]);
        v[items.Count] = null;
        return v;
    }

    public byte* String(ReadOnlySpan<byte> s)
    {
        var p = (byte*)Alloc(s.Length + 1);
        s.CopyTo(new Span<byte>(p, s.Length));
        p[s.Length] = 0;
        return p;
    }

    void* Alloc(int n)
    {
        var p = NativeMemory.Alloc((nuint)n);
        blocks.Add((nint)p);
        return p;
    }

    public void Dispose()
    {
        foreach (var p in blocks) NativeMemory.Free((void*)p);
        blocks.Clear();
    }
}

/// <summary>An environment for a program to run, as C strings in unmanaged memory: the start
/// environment (not copied) with changes applied as djb's pathexec does: a change removes the
/// first entry of its name, moving the last entry into its place, and is appended unless it is
/// a removal. Reset and used again, it allocates nothing once its buffers have grown to fit
/// (tcpserver makes the environment of every connection's program in one).</summary>
public sealed unsafe class EnvBlock : IDisposable
{
    readonly byte** start;
    readonly int startCount;
    byte** entries;
    int count, capacity;
    byte* text;
    int used, size;

    /// <summary>This process's environment.</summary>
    public EnvBlock() : this(Native.tk_environ()) { }

    public EnvBlock(byte** environ)
    {
        start = environ;
        while (start[startCount] != null) startCount++;
        Reset();
    }

    /// <summary>Back to the start environment.</summary>
    public void Reset()
    {
        Room(startCount);
        for (int i = 0; i < startCount; i++) entries[i] = start[i];
        count = startCount;
        used = 0;
    }

    /// <summary>The entries, null-terminated, valid until the next change.</summary>
    public byte** Envp
    {
        get { entries[count] = null; return entries; }
    }

    /// <summary>pathexec's change: "NAME=VALUE" sets, "NAME" removes.</summary>
    public void Apply(ReadOnlySpan<byte> change)
    {
        int split = change.IndexOf((byte)'=');
        if (split < 0) Unset(change);
        else Set(change.Slice(0, split), change.Slice(split + 1));
    }

    public void Unset(ReadOnlySpan<byte> name)
    {
        for (int t = 0; t < count; t++)
        {
            byte* e = entries[t];
            int i = 0;
            while (i < name.Length && e[i] != 0 && e[i] == name[i]) i++;
            if (i == name.Length && e[i] == '=')
            {
                entries[t] = entries[--count];
                return;
            }
        }
    }

    public void Set(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        Unset(name);
        byte* e = Text(name.Length + value.Length + 2);
        name.CopyTo(new Span<byte>(e, name.Length));
        e[name.Length] = (byte)'=';
        value.CopyTo(new Span<byte>(e + name.Length + 1, value.Length));
        e[name.Length + 1 + value.Length] = 0;
        Room(count + 1);
        entries[count++] = e;
    }

    /// <summary>Room for n entries and the terminating null.</summary>
    void Room(int n)
    {
        if (n + 1 <= capacity) return;
        capacity = Math.Max(n + 1, capacity * 2);
        entries = (byte**)NativeMemory.Realloc(entries, (nuint)(capacity * sizeof(byte*)));
    }

    /// <summary>n bytes of text; the entries made so far move with it if it must move.</summary>
    byte* Text(int n)
    {
        if (used + n > size)
        {
            int newSize = Math.Max(used + n, Math.Max(size * 2, 1024));
            var moved = (byte*)NativeMemory.Realloc(text, (nuint)newSize);
            for (int t = 0; t < count; t++)
                if (entries[t] >= text && entries[t] < text + used) entries[t] = moved + (entries[t] - text);
            text = moved;
            size = newSize;
        }
        byte* p = text + used;
        used += n;
        return p;
    }

    public void Dispose()
    {
        NativeMemory.Free(entries);
        NativeMemory.Free(text);
        entries = null;
        text = null;
    }
}
