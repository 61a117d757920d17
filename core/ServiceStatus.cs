// supervise/status, the 18 bytes supervise writes and svstat reads: TAI64N of the last pid
// change (12 bytes), the pid little-endian (4), paused (1), and the wanted state ('u', 'd',
// or 0 after "once").
namespace Toolkit;

public struct ServiceStatus
{
    public const int Size = 18;
    public ulong Seconds;
    public uint Nanoseconds;
    public uint Pid;
    public byte Paused;
    public byte Want;

    public readonly void Pack(Span<byte> status)
    {
        Tai64.Pack(status, Seconds, Nanoseconds);
        uint pid = Pid;
        for (int i = 12; i < 16; i++) { status[i] = (byte)pid; pid >>= 8; }
        status[16] = Paused;
        status[17] = Want;
    }

    /// <summary>Reads the first 18 bytes (any bytes after them are ignored).</summary>
    public static ServiceStatus Unpack(ReadOnlySpan<byte> status)
    {
        var s = new ServiceStatus();
        for (int i = 0; i < 8; i++) s.Seconds = s.Seconds << 8 | status[i];
        for (int i = 8; i < 12; i++) s.Nanoseconds = s.Nanoseconds << 8 | status[i];
        for (int i = 15; i >= 12; i--) s.Pid = s.Pid << 8 | status[i];
        s.Paused = status[16];
        s.Want = status[17];
        return s;
    }
}
