// djb's scan_ulong and fmt_ulong: decimal digits only, no sign, no overflow check
// (values wrap modulo 2^64 as in C).
namespace Toolkit;

public static class Numbers
{
    /// <summary>Reads leading decimal digits; returns how many bytes were digits.</summary>
    public static int ScanULong(ReadOnlySpan<byte> s, out ulong value)
    {
        ulong r = 0;
        int i = 0;
        while (i < s.Length && (uint)(s[i] - '0') < 10) { r = unchecked(r * 10 + (uint)(s[i] - '0')); i++; }
        value = r;
        return i;
    }

    /// <summary>Decimal digits of n, at least minDigits (zero-padded), into dst; returns the length.</summary>
    public static int Format(Span<byte> dst, ulong n, int minDigits = 1)
    {
        Span<byte> tmp = stackalloc byte[20];
        int len = 0;
        do { tmp[len++] = (byte)('0' + n % 10); n /= 10; } while (n != 0);
        while (len < minDigits && len < 20) tmp[len++] = (byte)'0';
        for (int i = 0; i < len; i++) dst[i] = tmp[len - 1 - i];
        return len;
    }

    public static byte[] Text(ulong n, int minDigits = 1)
    {
        Span<byte> b = stackalloc byte[20];
        return b.Slice(0, Format(b, n, minDigits)).ToArray();
    }
}
