// A descriptor action for a child started by Exec.Spawn, applied in the child in order (like
// posix_spawn's file actions). The layout is struct tk_fd_action in core/native/startup.c:
// three ints, in this order.
using System.Runtime.InteropServices;

namespace Toolkit;

public enum FdActionKind { Dup2 = 1, Close = 2, DupRepeat = 3 }

[StructLayout(LayoutKind.Sequential)]
public readonly record struct FdAction(FdActionKind Kind, int Fd, int Target)
{
    /// <summary>from becomes to (from == to: only made to stay open across the exec).</summary>
    public static FdAction Dup2(int from, int to) => new(FdActionKind.Dup2, from, to);

    public static FdAction Close(int fd) => new(FdActionKind.Close, fd, 0);

    /// <summary>times copies of fd on the lowest free descriptors.</summary>
    public static FdAction DupRepeat(int fd, int times) => new(FdActionKind.DupRepeat, fd, times);
}
