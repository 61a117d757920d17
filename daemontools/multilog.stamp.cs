// multilog's line stamps, taken when a line's first byte is read: djb's t, "@" and TAI64N,
// and T, the local time in ISO 8601 with microseconds and the UTC offset
// (2026-12-02T09:15:42.123456+01:00), which stays unambiguous across daylight-saving changes.
// Both come from one clock reading, so that t and T on one line agree.
using Toolkit;

static class LineStamp
{
    public const byte Tai = (byte)'t', Local = (byte)'T';
    public const int TaiLength = 26, LocalLength = 33;

    /// <summary>The stamps of a script: a t or T first, and the other letter second after it
    /// (djb's multilog takes a t only first; a second t is ignored there and here).</summary>
    public static byte[] Of(byte[][] argv)
    {
        if (argv.Length < 2 || argv[1].Length == 0 || (argv[1][0] != Tai && argv[1][0] != Local)) return [];
        byte first = argv[1][0], other = first == Tai ? Local : Tai;
        if (argv.Length > 2 && argv[2].Length > 0 && argv[2][0] == other) return [first, other];
        return [first];
    }

    /// <summary>Writes the stamps, each followed by a space, at the start of line; returns
    /// their length.</summary>
    public static int Put(Span<byte> line, ReadOnlySpan<byte> stamps)
    {
        Tai64.Now(out ulong seconds, out uint nanoseconds);
        Span<byte> label = stackalloc byte[12];
        int n = 0;
        foreach (byte s in stamps)
        {
            if (s == Tai)
            {
                Tai64.Pack(label, seconds, nanoseconds);
                Tai64.Format(label, line.Slice(n));
                n += TaiLength;
            }
            else
            {
                PutLocal(line.Slice(n), (long)(seconds - Tai64.Epoch), nanoseconds / 1000);
                n += LocalLength;
            }
            line[n - 1] = (byte)' ';
        }
        return n;
    }

    // The date, time and offset of the last second seen: localtime_r once a second, not once a line.
    static long cachedSecond = long.MinValue;
    static readonly byte[] cachedTime = new byte[19], cachedOffset = new byte[6];

    static void PutLocal(Span<byte> out32, long second, uint microseconds)
    {
        if (second != cachedSecond) Cache(second);
        cachedTime.CopyTo(out32);
        out32[19] = (byte)'.';
        Numbers.Format(out32.Slice(20), microseconds, 6);
        cachedOffset.CopyTo(out32.Slice(26));
    }

    static void Cache(long second)
    {
        // localtime_r fails only for years beyond int: never for the clock's time.
        Sys.LocalTime(second, out var tm);
        Span<byte> b = cachedTime;
        Numbers.Format(b, (ulong)(1900L + tm.Year), 4);
        b[4] = (byte)'-';
        Numbers.Format(b.Slice(5), (ulong)(tm.Mon + 1), 2);
        b[7] = (byte)'-';
        Numbers.Format(b.Slice(8), (ulong)tm.Mday, 2);
        b[10] = (byte)'T';
        Numbers.Format(b.Slice(11), (ulong)tm.Hour, 2);
        b[13] = (byte)':';
        Numbers.Format(b.Slice(14), (ulong)tm.Min, 2);
        b[16] = (byte)':';
        Numbers.Format(b.Slice(17), (ulong)tm.Sec, 2);
        long offset = tm.Gmtoff / 60;
        cachedOffset[0] = offset < 0 ? (byte)'-' : (byte)'+';
        offset = Math.Abs(offset);
        Numbers.Format(cachedOffset.AsSpan(1), (ulong)(offset / 60), 2);
        cachedOffset[3] = (byte)':';
        Numbers.Format(cachedOffset.AsSpan(4), (ulong)(offset % 60), 2);
        cachedSecond = second;
    }
}
