// multilog's journal: 0.76 writes each directory's 512-byte buffer to current as it flushes,
// one write(2) each. Ours notes every flush in order and carries them out together before
// anything another process could see or wait on (a read, an echo, a status file write, a
// rotation, a pause, the exit): one write(2) per directory, and then the files hold exactly
// what 0.76's hold at that point. A write that fails or falls short (a full disk) makes the
// flushes since the last rotation run again one by one, as 0.76 runs them.
using Toolkit;

static class Journal
{
    public static LogDir[] Dirs;

    // The flushes in order: the directory and the number of bytes of each.
    const int Capacity = 1024;
    static readonly LogDir[] dirOf = new LogDir[Capacity];
    static readonly int[] length = new int[Capacity];
    static int count;

    public static void Add(LogDir d, int n)
    {
        if (count == Capacity) Drain();
        dirOf[count] = d;
        length[count++] = n;
    }

    /// <summary>Carries out every flush noted: 0.76's write function on each, in order, with
    /// its rotations. A segment (the flushes up to a rotation) is written with one write(2)
    /// per directory; if one fails, the segment runs again with each call of the write
    /// function writing at once, skipping what is already on disk.</summary>
    public static void Drain()
    {
        if (count == 0) return;
        int unit = 0, left = length[0];
        bool exact = false;
        for (;;)
        {
            int segmentUnit = unit, segmentLeft = left;
            foreach (var d in Dirs) d.StartSegment();
            LogDir rotate = null;
            while (unit < count)
            {
                var d = dirOf[unit];
                if (d.Full)
                {
                    rotate = d;
                    break;
                }
                left -= d.Take(left, exact);
                if (left == 0 && ++unit < count) left = length[unit];
                if (d.EndedLineNearSize)
                {
                    rotate = d;
                    break;
                }
            }
            if (!exact && !WriteTaken())
            {
                unit = segmentUnit;
                left = segmentLeft;
                foreach (var d in Dirs) d.BackToSegment();
                exact = true;
                continue;
            }
            if (rotate == null) break;
            rotate.FullCurrent();
        }
        count = 0;
        foreach (var d in Dirs) d.Compact();
    }

    /// <summary>Writes what the segment took, one write(2) per directory; false if that could
    /// differ from 0.76's writes, one after another in turn: a write failed or fell short, or
    /// several directories are to be written and the disk might fill up (which of them gets
    /// the last blocks depends on the order).</summary>
    static bool WriteTaken()
    {
        long total = 0;
        int writers = 0;
        foreach (var d in Dirs)
            if (d.Unwritten > 0)
            {
                total += d.Unwritten;
                writers++;
            }
        if (writers > 1)
            foreach (var d in Dirs)
                if (d.Unwritten > 0 && !d.HasRoom(total)) return false;
        foreach (var d in Dirs)
            if (!d.WriteTaken()) return false;
        return true;
    }
}
