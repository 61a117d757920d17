// Which process holds a file open, from /proc/PID/fd (Linux): svscan finds the supervise of a
// service it did not start by the supervise/lock that supervise keeps open, and reopens a log
// pipe through the descriptor of a process that has it. Files are known by device and inode,
// as stat(2) of /proc/PID/fd/N (which follows the link) gives them.
using System.Collections.Generic;

namespace Toolkit;

public static class OpenFiles
{
    /// <summary>For each of the wanted files that some process has open, one such pid.</summary>
    public static Dictionary<(ulong Dev, ulong Ino), int> Holders(HashSet<(ulong Dev, ulong Ino)> wanted)
    {
        var found = new Dictionary<(ulong, ulong), int>();
        using var proc = Dir.Open("/proc"u8);
        if (proc == null) return found;
        while (found.Count < wanted.Count && proc.Next(out var entry))
        {
            if (Numbers.ScanULong(entry, out ulong pid) != entry.Length || entry.Length == 0) continue;
            byte[] fds = [.. "/proc/"u8, .. entry, .. "/fd/"u8];
            using var dir = Dir.Open(fds);
            if (dir == null) continue; // gone meanwhile, or not ours to read
            while (dir.Next(out var fd))
            {
                if (fd.Length == 0 || fd[0] == '.') continue;
                if (Files.Stat([.. fds, .. fd], out var st) == 0 && wanted.Contains((st.Dev, st.Ino)))
                    found.TryAdd((st.Dev, st.Ino), (int)pid);
            }
        }
        return found;
    }

    /// <summary>Descriptor fd of process pid, as a path that reopens what it refers to.</summary>
    public static byte[] Path(int pid, int fd) => [.. "/proc/"u8, .. Numbers.Text((ulong)pid), .. "/fd/"u8, .. Numbers.Text((ulong)fd)];
}
