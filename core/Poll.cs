// Waiting on descriptors with deadlines (on Clock): the driver that runs one socket task (a DNS
// query, an ident lookup) to completion, and a wait for one descriptor.
namespace Toolkit;

/// <summary>A socket operation driven by poll(2): wait for Events on Fd until Deadline, then Step.</summary>
public interface IPollTask
{
    int Fd { get; }
    short Events { get; }
    long Deadline { get; }
    bool Done { get; }
    /// <summary>Advances after poll: revents for Fd, or 0 when the deadline may have passed.</summary>
    void Step(short revents);
}

public static class Poll
{
    /// <summary>Runs one task to completion, blocking.</summary>
    public static void Drive(IPollTask task)
    {
        Span<Native.PollFd> pfd = stackalloc Native.PollFd[1];
        while (!task.Done)
        {
            pfd[0] = new Native.PollFd { Fd = task.Fd, Events = task.Events };
            long wait = task.Deadline - Clock.Now();
            if (wait > 0 && Sys.Poll(pfd, (int)Math.Min(wait, int.MaxValue)) == -1) continue;
            task.Step(pfd[0].Revents);
        }
    }

    /// <summary>Waits until fd has one of events; false if the deadline passes first.</summary>
    public static bool Ready(int fd, short events, long deadline)
    {
        Span<Native.PollFd> pfd = stackalloc Native.PollFd[1];
        for (;;)
        {
            long wait = deadline - Clock.Now();
            if (wait <= 0) return false;
            pfd[0] = new Native.PollFd { Fd = fd, Events = events };
            if (Sys.Poll(pfd, (int)Math.Min(wait, int.MaxValue)) > 0) return true;
        }
    }
}
