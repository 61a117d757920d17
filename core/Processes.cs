// The processes of this machine by their parent, from /proc/PID/stat (Linux): svscan KILLs
// what a supervise runs along with the supervise, whether or not its status file can be read.
using System.Collections.Generic;

namespace Toolkit;

public static class Processes
{
    /// <summary>The pids of the processes whose parent is one of parents.</summary>
    public static List<int> Children(HashSet<int> parents)
    {
        var found = new List<int>();
        using var proc = Dir.Open("/proc"u8);
        if (proc == null) return found;
        while (proc.Next(out var entry))
        {
            if (entry.Length == 0 || Numbers.ScanULong(entry, out ulong pid) != entry.Length) continue;
            var stat = Files.ReadAll([.. "/proc/"u8, .. entry, .. "/stat"u8], out _);
            if (stat == null) continue; // gone meanwhile
            // "PID (COMM) STATE PPID ...": COMM may hold anything, so the fields count from the last ')'.
            int ppidAt = stat.AsSpan().LastIndexOf((byte)')') + 4;
            if (ppidAt < 4 || ppidAt >= stat.Length) continue;
            if (Numbers.ScanULong(stat.AsSpan(ppidAt), out ulong ppid) > 0 && parents.Contains((int)ppid)) found.Add((int)pid);
        }
        return found;
    }
}
