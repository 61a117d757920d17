// The copying loop of fixcrio, recordio and mconnect-io: copy fd 0 to a peer (a program on
// pipes, or a connection) and the peer's output to fd 1, in chunks of at most 256 bytes passed
// through a transformation, until the peer's output ends.
using System.Collections.Generic;

namespace Toolkit;

public static class Relay
{
    const int Chunk = 256;

    /// <summary>Runs argv on pipes and copies through Loop, ending at the first write error
    /// too; then exits as the program did. djb's fixcrio and recordio exec the program in their
    /// own process (a forked child copies), so their exit status is the program's; here the
    /// program is the child, and its end is waited for and passed on.</summary>
    public static void Run(ReadOnlySpan<byte> fatal, byte[][] argv, Func<byte[], bool, byte[]> transform, Action<bool> atEnd)
    {
        Native.tk_signal_set(Native.SIGPIPE, 1);
        var child = Start(fatal, argv, null);
        Loop(child.ToChild, child.FromChild, transform, atEnd, endOnWriteError: true);
        Exec.ExitAs(Exec.WaitPid(child.Pid));
    }

    /// <summary>A program started on pipes: its pid, the pipe to its descriptor 0, the pipe
    /// from its descriptor 1.</summary>
    public readonly record struct Child(int Pid, int ToChild, int FromChild);

    /// <summary>Starts argv with its descriptors 0 and 1 on pipes and env (null: this process's
    /// environment), or dies (exit 111).</summary>
    public static Child Start(ReadOnlySpan<byte> fatal, byte[][] argv, List<byte[]> env)
    {
        if (!Sys.Pipe(out int childIn, out int toChild)) Errors.DieSys(111, Native.Errno, fatal, "unable to create pipe: "u8);
        if (!Sys.Pipe(out int fromChild, out int childOut)) Errors.DieSys(111, Native.Errno, fatal, "unable to create pipe: "u8);
        // An inherited ignored CHLD would leave no status to wait for (the program still
        // starts with the signal state this one was started with).
        Native.tk_signal_set(Native.SIGCHLD, 0);
        int pid = Exec.Spawn(argv, env, [FdAction.Dup2(childIn, 0), FdAction.Dup2(childOut, 1)], out int execError);
        if (pid < 0) Errors.DieSys(111, -pid, fatal, "unable to fork: "u8);
        if (execError != 0) Errors.DieSys(111, execError, fatal, "unable to run "u8, argv[0], ": "u8);
        Native.close(childIn);
        Native.close(childOut);
        return new Child(pid, toChild, fromChild);
    }

    /// <summary>Copies fd 0 to toChild (closed when fd 0 ends) and fromChild to fd 1 until
    /// fromChild ends, or a write fails if endOnWriteError (otherwise the chunk is dropped);
    /// then closes both. Each direction either reads or writes out what it read, so neither
    /// waits on a full pipe while the other has data. transform(chunk, toChild) gives the
    /// bytes to pass on; atEnd(toChild) is called when a direction's input ends.</summary>
    public static void Loop(int toChild, int fromChild, Func<byte[], bool, byte[]> transform, Action<bool> atEnd,
        bool endOnWriteError = false)
    {
        var left = new Direction { From = 0, To = toChild, ToChild = true, Open = true };
        var right = new Direction { From = fromChild, To = 1, ToChild = false, Open = true };
        var buf = new byte[Chunk];
        Span<Native.PollFd> fds = stackalloc Native.PollFd[2];
        while (right.Open)
        {
            int n = 0;
            fds[n++] = right.Poll();
            if (left.Open) fds[n++] = left.Poll();
            if (Sys.Poll(fds.Slice(0, n), -1) == -1) continue;
            if (n == 2 && fds[1].Revents != 0 && !left.Step(buf, transform, atEnd, endOnWriteError)) break;
            if (fds[0].Revents != 0 && !right.Step(buf, transform, atEnd, endOnWriteError)) break;
        }
        if (left.Open) Native.close(toChild);
        Native.close(fromChild);
    }

    sealed class Direction
    {
        public int From, To;
        public bool ToChild, Open;
        byte[] pending;
        int done;

        public Native.PollFd Poll() => pending == null
            ? new Native.PollFd { Fd = From, Events = Native.POLLIN }
            : new Native.PollFd { Fd = To, Events = Native.POLLOUT };

        /// <summary>Reads a chunk or writes (part of) the pending one. False when the copying
        /// must end: a write failed and endOnWriteError.</summary>
        public bool Step(byte[] buf, Func<byte[], bool, byte[]> transform, Action<bool> atEnd, bool endOnWriteError)
        {
            int r;
            if (pending == null)
            {
                r = Sys.Read(From, buf);
                if (r <= 0)
                {
                    atEnd(ToChild);
                    // The end of fd 0 closes the program's input; the end of its output ends the loop.
                    if (ToChild) Native.close(To);
                    Open = false;
                    return true;
                }
                pending = transform(buf.AsSpan(0, r).ToArray(), ToChild);
                done = 0;
            }
            else
            {
                r = Sys.Write(To, pending.AsSpan(done));
                if (r == -1)
                {
                    if (endOnWriteError) return false;
                    pending = null;
                    return true;
                }
                done += r;
            }
            if (done == pending.Length) pending = null;
            return true;
        }
    }
}
