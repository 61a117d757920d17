// Running programs the djb way: pathexec (PATH search, environment changes) for the
// chain-loading tools, which replace themselves, and Spawn for programs that start
// children. Both go through the start-up layer so that the program run sees the limits,
// signal mask and signal dispositions it should (see core/native/startup.c).
using System.Collections.Generic;

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

    /// <summary>The environment with the queued changes applied exactly as djb's pathexec does:
    /// a change removes the first entry with that name (moving the last entry into its place)
    /// and, unless it is a removal, is appended.</summary>
    public static List<byte[]> Environment() => Apply(Args.Environ(), changes);

    /// <summary>The changes (see Change) applied to a copy of env as pathexec does.</summary>
    public static List<byte[]> Apply(IEnumerable<byte[]> start, List<byte[]> changes)
    {
        var env = new List<byte[]>(start);
        if (changes == null) return env;
        foreach (var change in changes)
        {
            int split = change.AsSpan().IndexOf((byte)'=');
            int nameLength = split < 0 ? change.Length : split;
            for (int t = 0; t < env.Count; t++)
            {
                var e = env[t];
                if (e.Length > nameLength && e[nameLength] == (byte)'=' &&
                    e.AsSpan(0, nameLength).SequenceEqual(change.AsSpan(0, nameLength)))
                {
                    env[t] = env[^1];
                    env.RemoveAt(env.Count - 1);
                    break;
                }
            }
            if (split >= 0) env.Add(change);
        }
        return env;
    }

    /// <summary>Replaces the process with argv[0] (PATH from the original environment, as in
    /// djb's pathexec_run) and the queued environment changes. Returns the error number only
    /// if that failed.</summary>
    public static int Run(byte[][] argv) => Run(argv, changes == null ? null : Environment());

    public static int Run(byte[][] argv, List<byte[]> env)
    {
        using var block = new CStrings(argv, env ?? new List<byte[]>(Args.Environ()));
        var path = Args.GetEnv("PATH"u8);
        fixed (byte* zpath = path == null ? null : Args.Z(path))
            return Native.tk_exec(block.Argv[0], block.Argv, block.Envp, zpath);
    }

    public const int FdDup2 = 1, FdClose = 2, FdDupRepeat = 3;

    /// <summary>Starts a child running argv[0] (PATH searched as in Run) with env (null: this
    /// process's environment). fdActions are triples applied in order in the child: (FdDup2,
    /// from, to), (FdClose, fd, 0), (FdDupRepeat, fd, times). The child gets the recorded
    /// limits, a new session if asked, and the signal state this program started with, as a C
    /// program's forked child (a signal caught since is default, one unblocked since is
    /// unblocked). file, if given, is run instead of argv[0] (argv[0]
    /// is then only the name the program sees). Returns the pid or -errno if the child could not
    /// be created; execError is the exec's error number (the child then exits 111), minus the
    /// error number if the child could not enter dir, or 0.</summary>
    public static int Spawn(byte[][] argv, List<byte[]> env, ReadOnlySpan<int> fdActions, out int execError,
        byte[] dir = null, bool newSession = false, byte[] file = null)
    {
        return Start(argv, env, fdActions, dir, newSession, 0, file, true, out execError, out _);
    }

    /// <summary>A child started by SpawnStart: its exec's outcome arrives on Report (see Launch).</summary>
    public struct Launch
    {
        public int Pid, Report;
        public nint Block;
    }

    /// <summary>Spawn without waiting for the child to run its program (tcpserver goes on
    /// accepting meanwhile), the signals in defaultSignals (bit n-1 for signal n) default even if
    /// this program was started ignoring them. Returns the
    /// pid or -errno; the caller polls launch.Report and calls Finish when it is readable.</summary>
    public static int SpawnStart(byte[][] argv, List<byte[]> env, ReadOnlySpan<int> fdActions, ulong defaultSignals,
        out Launch launch)
    {
        return Start(argv, env, fdActions, null, false, defaultSignals, null, false, out _, out launch);
    }

    /// <summary>Reads what a launched child reported: false while it has not yet run its
    /// program or exited; then true, with the exec's error number in execError (0 if the
    /// program runs), and the launch's resources freed.</summary>
    public static bool Finish(ref Launch launch, ref int execError)
    {
        int err;
        nint r = Native.read(launch.Report, (byte*)&err, sizeof(int));
        if (r == sizeof(int)) { execError = err; return false; }
        if (r < 0 && (Native.Errno == Native.EINTR || Native.Errno == Native.EAGAIN)) return false;
        Native.close(launch.Report);
        Native.tk_spawn_release(launch.Block);
        return true;
    }

    static int Start(byte[][] argv, List<byte[]> env, ReadOnlySpan<int> fdActions, byte[] dir, bool newSession,
        ulong defaultSignals, byte[] file, bool wait, out int execError, out Launch launch)
    {
        using var block = new CStrings(argv, env ?? new List<byte[]>(Args.Environ()));
        var path = Args.GetEnv("PATH"u8);
        fixed (byte* zpath = path == null ? null : Args.Z(path))
        fixed (byte* zdir = dir == null ? null : Args.Z(dir))
        fixed (int* actions = fdActions)
        fixed (byte* zfile = file == null ? null : Args.Z(file))
        {
            var request = new Native.SpawnRequest
            {
                File = zfile != null ? zfile : block.Argv[0], Argv = block.Argv, Envp = block.Envp, Path = zpath,
                FdActions = actions, FdActionCount = fdActions.Length / 3, Dir = zdir,
                NewSession = newSession ? 1 : 0, DefaultSignals = defaultSignals,
            };
            int err, report;
            nint launched;
            launch = default;
            execError = 0;
            if (wait)
            {
                int child = Native.tk_spawn(&request, &err);
                execError = err;
                return child;
            }
            int pid = Native.tk_spawn_start(&request, &report, &launched);
            if (pid >= 0) launch = new Launch { Pid = pid, Report = report, Block = launched };
            return pid;
        }
    }

    /// <summary>Waits for the child to end (retrying EINTR); its wait status, or -1 with errno.</summary>
    public static int WaitPid(int pid)
    {
        int status;
        while (Native.waitpid(pid, &status, 0) == -1)
            if (Native.Errno != 4) return -1;
        return status;
    }

    /// <summary>Ends this process as a child ended with wait status `status`: with its exit code, or
    /// killed by its signal, as if this process had been the child. Without a core dump: the
    /// child has dumped its own, which ours would replace.</summary>
    public static void ExitAs(int status)
    {
        int sig = status & 0x7f;
        if (sig == 0) Errors.Exit(status >> 8 & 0xff);
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

/// <summary>Argument and environment vectors as zero-terminated C strings in unmanaged memory.</summary>
public sealed unsafe class CStrings : IDisposable
{
    public readonly byte** Argv;
    public readonly byte** Envp;
    readonly List<nint> blocks = new();

    public CStrings(IReadOnlyList<byte[]> argv, IReadOnlyList<byte[]> env)
    {
        Argv = Vector(argv);
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
        var p = System.Runtime.InteropServices.NativeMemory.Alloc((nuint)n);
        blocks.Add((nint)p);
        return p;
    }

    public void Dispose()
    {
        foreach (var p in blocks) System.Runtime.InteropServices.NativeMemory.Free((void*)p);
        blocks.Clear();
    }
}
