// TAI64 and TAI64N labels (cr.yp.to/libtai): seconds are 2^62 + 10 + Unix time, big-endian;
// djb's clock reports microseconds, so the nanosecond field is usec * 1000 + 500.
namespace Toolkit;

public static unsafe class Tai64
{
    public const ulong Epoch = 0x400000000000000aUL;

    /// <summary>The current time as a 12-byte TAI64N label.</summary>
    public static void Now(Span<byte> label12)
    {
        Now(out ulong seconds, out uint nanoseconds);
        Pack(label12, seconds, nanoseconds);
    }

    /// <summary>The current time as TAI64 seconds and djb's nanoseconds.</summary>
    public static void Now(out ulong seconds, out uint nanoseconds)
    {
        Native.TimeSpec ts;
        Native.clock_gettime(Native.CLOCK_REALTIME, &ts);
        seconds = Epoch + (ulong)ts.Sec;
        nanoseconds = (uint)(ts.Nsec / 1000 * 1000 + 500);
    }

    public static void Pack(Span<byte> label12, ulong seconds, uint nanoseconds)
    {
        for (int i = 7; i >= 0; i--) { label12[i] = (byte)seconds; seconds >>= 8; }
        for (int i = 11; i >= 8; i--) { label12[i] = (byte)nanoseconds; nanoseconds >>= 8; }
    }

    public static void Unpack(ReadOnlySpan<byte> label12, out ulong seconds, out uint nanoseconds)
    {
        seconds = 0;
        nanoseconds = 0;
        for (int i = 0; i < 8; i++) seconds = seconds << 8 | label12[i];
        for (int i = 8; i < 12; i++) nanoseconds = nanoseconds << 8 | label12[i];
    }

    /// <summary>Milliseconds from the label (seconds, nanoseconds) to the later one (negative if
    /// it is earlier).</summary>
    public static long MillisecondsBetween(ulong seconds, uint nanoseconds, ulong laterSeconds, uint laterNanoseconds) =>
        (long)(laterSeconds - seconds) * 1000 + ((long)laterNanoseconds - nanoseconds) / 1000000;

    /// <summary>"@" and 24 lowercase hex digits for a 12-byte label: 25 bytes.</summary>
    public static void Format(ReadOnlySpan<byte> label12, Span<byte> out25)
    {
        out25[0] = (byte)'@';
        for (int i = 0; i < 12; i++)
        {
            out25[1 + 2 * i] = Numbers.HexDigit(label12[i] >> 4);
            out25[2 + 2 * i] = Numbers.HexDigit(label12[i] & 15);
        }
    }

    /// <summary>The current time as "@" + 24 hex digits.</summary>
    public static void Stamp(Span<byte> out25)
    {
        Span<byte> label = stackalloc byte[12];
        Now(label);
        Format(label, out25);
    }
}
