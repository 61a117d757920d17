// Signal names, as a service directory's down-signal file gives them: HUP, SIGHUP or 1.
namespace Toolkit;

public static class Signals
{
    // Linux x86-64 numbers signals 1 to Native.SIGLAST in this order.
    static readonly byte[][] Names =
    [
        "HUP"u8.ToArray(), "INT"u8.ToArray(), "QUIT"u8.ToArray(), "ILL"u8.ToArray(), "TRAP"u8.ToArray(),
        "ABRT"u8.ToArray(), "BUS"u8.ToArray(), "FPE"u8.ToArray(), "KILL"u8.ToArray(), "USR1"u8.ToArray(),
        "SEGV"u8.ToArray(), "USR2"u8.ToArray(), "PIPE"u8.ToArray(), "ALRM"u8.ToArray(), "TERM"u8.ToArray(),
        "STKFLT"u8.ToArray(), "CHLD"u8.ToArray(), "CONT"u8.ToArray(), "STOP"u8.ToArray(), "TSTP"u8.ToArray(),
        "TTIN"u8.ToArray(), "TTOU"u8.ToArray(), "URG"u8.ToArray(), "XCPU"u8.ToArray(), "XFSZ"u8.ToArray(),
        "VTALRM"u8.ToArray(), "PROF"u8.ToArray(), "WINCH"u8.ToArray(), "IO"u8.ToArray(), "PWR"u8.ToArray(),
        "SYS"u8.ToArray(),
    ];

    /// <summary>A signal from its name (upper case, with or without SIG) or its number; false if
    /// it is neither.</summary>
    public static bool Parse(ReadOnlySpan<byte> text, out int signal)
    {
        signal = 0;
        if (text.Length > 0 && Numbers.ScanULong(text, out ulong n) == text.Length)
        {
            if (n < 1 || n > Native.SIGLAST) return false;
            signal = (int)n;
            return true;
        }
        if (text.StartsWith("SIG"u8)) text = text.Slice(3);
        for (int i = 0; i < Names.Length; i++)
            if (text.SequenceEqual(Names[i])) { signal = i + 1; return true; }
        return false;
    }
}
