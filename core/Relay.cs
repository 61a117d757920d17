// The copying loop of fixcrio, recordio and mconnect-io: copy fd 0 to a peer (a program on
// pipes, or a connection) and the peer's output to fd 1, in chunks of at most 256 bytes passed
// through a transformation, until the peer's output ends.
namespace Toolkit;

public static class Relay
{
    /// <summary>transform(chunk, toChild) gives the bytes to pass on; atEnd(toChild) is called when a
    /// direction ends. Exits 0 when the program's output ends.</summary>
    public static void Run(ReadOnlySpan<byte> fatal, byte[][] argv, Func<byte[], bool, byte[]> transform, Action<bool> atEnd)
    {
        if (!Sys.Pipe(out int childIn, out int toChild)) Errors.DieSys(111, Native.Errno, fatal, "unable to create pipe: "u8);
        if (!Sys.Pipe(out int fromChild, out int childOut)) Errors.DieSys(111, Native.Errno, fatal, "unable to create pipe: "u8);
        Native.tk_signal_set(Native.SIGPIPE, 1);
        int pid = Exec.Spawn(argv, null, [Exec.FdDup2, childIn, 0, Exec.FdDup2, childOut, 1], out int execError);
        if (pid < 0) Errors.DieSys(111, -pid, fatal, "unable to fork: "u8);
        if (execError != 0) Errors.DieSys(111, execError, fatal, "unable to run "u8, argv[0], ": "u8);
        Native.close(childIn);
        Native.close(childOut);
        Loop(toChild, fromChild, transform, atEnd);
    }

    /// <summary>Copies fd 0 to toChild (closed when fd 0 ends) and fromChild to fd 1; exits 0
    /// when fromChild ends. transform and atEnd as for Run.</summary>
    public static void Loop(int toChild, int fromChild, Func<byte[], bool, byte[]> transform, Action<bool> atEnd)
    {
        bool inputOpen = true;
        var buf = new byte[256];
        Span<Native.PollFd> fds = stackalloc Native.PollFd[2];
        for (;;)
        {
            int n = 0;
            fds[n++] = new Native.PollFd { Fd = fromChild, Events = Native.POLLIN };
            if (inputOpen) fds[n++] = new Native.PollFd { Fd = 0, Events = Native.POLLIN };
            if (Sys.Poll(fds.Slice(0, n), -1) == -1) continue;
            if (inputOpen && fds[1].Revents != 0 && !Copy(0, toChild, true, buf, transform))
            {
                atEnd(true);
                Native.close(toChild);
                inputOpen = false;
            }
            if (fds[0].Revents != 0 && !Copy(fromChild, 1, false, buf, transform))
            {
                atEnd(false);
                Errors.Exit(0);
            }
        }
    }

    static bool Copy(int from, int to, bool toChild, byte[] buf, Func<byte[], bool, byte[]> transform)
    {
        int r = Sys.Read(from, buf);
        if (r <= 0) return false;
        var data = transform(buf.AsSpan(0, r).ToArray(), toChild);
        var o = new Output(to, 256);
        o.Put(data);
        o.Flush();
        return true;
    }
}
